package dev.gantry.cli;

import ch.qos.logback.classic.LoggerContext;
import dev.gantry.app.Gantry;
import dev.gantry.app.StartupException;
import dev.gantry.config.ConfigException;
import dev.gantry.config.GantryConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code gantry serve}: runs the mirror until SIGTERM/SIGINT, then shuts down
 * gracefully. A start that fails prints one line per problem and a hint on
 * standard error, never a stack trace (that is logged at debug level), and
 * exits 2 for a configuration that cannot work, 1 for anything else.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Run the registry mirror (embedded default configuration unless --config is given).")
final class ServeCommand implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(ServeCommand.class);

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "configuration file (YAML)")
    Path config;

    @Option(names = "--listen", paramLabel = "HOST:PORT", description = "overrides 'listen' from the configuration")
    String listen;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        // The hook goes in before the server answers /readyz: a SIGTERM right after readiness
        // (a rolling deploy, a test) must still drain rather than kill the JVM mid-response.
        AtomicReference<Gantry> running = new AtomicReference<>();
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            Gantry g = running.get();
            if (g != null) {
                g.shutdown();
            }
            stopped.countDown();
            // The log writer is a daemon thread: let it write the last lines before the JVM goes.
            if (LoggerFactory.getILoggerFactory() instanceof LoggerContext logging) {
                logging.stop();
            }
        }, "gantry-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        int failed = 0;
        try {
            GantryConfig c = Configs.validate(() -> {
                GantryConfig read = Configs.load(config);
                return listen == null ? read : read.withListen(listen);
            });
            running.set(Gantry.start(c, Clock.systemUTC()));
        } catch (ConfigException e) {
            Configs.print(err, e);
            err.println("  hint: 'gantry config validate FILE' checks a configuration without starting anything");
            failed = 2;
        } catch (StartupException e) {
            log.debug("start-up failed", e);
            err.println("gantry: " + e.getMessage());
            err.println("  hint: " + e.hint());
            failed = 1;
        } catch (Exception e) {
            log.debug("start-up failed", e);
            err.println("gantry: cannot start: " + e);
            err.println("  hint: GANTRY_LOG_LEVEL=debug logs the stack trace");
            failed = 1;
        }
        if (failed != 0) {
            err.flush();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDownAlready) {
                // The hook runs anyway; there is nothing for it to stop.
            }
            return failed;
        }
        stopped.await();
        return 0;
    }
}
