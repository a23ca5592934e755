package dev.gantry.cli;

import ch.qos.logback.classic.LoggerContext;
import dev.gantry.app.Gantry;
import dev.gantry.config.ConfigException;
import dev.gantry.config.ConfigLoader;
import dev.gantry.config.GantryConfig;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code gantry serve}: runs the mirror until SIGTERM/SIGINT, then shuts down gracefully. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Run the registry mirror (embedded default configuration unless --config is given).")
final class ServeCommand implements Callable<Integer> {

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "configuration file (YAML)")
    Path config;

    @Option(names = "--listen", paramLabel = "HOST:PORT", description = "overrides 'listen' from the configuration")
    String listen;

    @Override
    public Integer call() throws Exception {
        GantryConfig c;
        try {
            ConfigLoader loader = ConfigLoader.withSystemEnvironment();
            c = config == null ? loader.loadEmbedded() : loader.load(config);
            if (listen != null) {
                c = c.withListen(listen);
            }
        } catch (ConfigException e) {
            System.err.println("gantry: " + e.getMessage());
            return 2;
        }
        Gantry gantry;
        try {
            gantry = Gantry.start(c, Clock.systemUTC());
        } catch (ConfigException e) {
            System.err.println("gantry: " + e.getMessage());
            return 2;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            gantry.shutdown();
            stopped.countDown();
            // The log writer is a daemon thread: let it write the last lines before the JVM goes.
            if (LoggerFactory.getILoggerFactory() instanceof LoggerContext logging) {
                logging.stop();
            }
        }, "gantry-shutdown"));
        stopped.await();
        return 0;
    }
}
