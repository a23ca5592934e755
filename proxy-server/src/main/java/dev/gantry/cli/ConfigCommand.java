package dev.gantry.cli;

import dev.gantry.config.ConfigException;
import dev.gantry.config.ConfigLoader;
import dev.gantry.config.GantryConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code gantry config validate FILE}: checks a configuration without starting anything. */
@Command(name = "config", mixinStandardHelpOptions = true, description = "Work with configuration files.",
        subcommands = {ConfigCommand.Validate.class})
final class ConfigCommand implements Runnable {

    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    @Command(name = "validate", mixinStandardHelpOptions = true,
            description = "Check a configuration file; exit 0 if Gantry would start with it, 2 with the reason if not.")
    static final class Validate implements Callable<Integer> {

        @Parameters(paramLabel = "FILE", description = "configuration file (YAML); '-' reads standard input")
        String file;

        @Override
        public Integer call() {
            try {
                ConfigLoader loader = ConfigLoader.withSystemEnvironment();
                GantryConfig c = "-".equals(file) ? loader.load(System.in, "standard input") : loader.load(Path.of(file));
                System.out.println("ok: listen " + c.listen() + ", " + c.upstreams().size() + " upstream(s), disk "
                        + c.storage().disk().path() + " (" + c.storage().disk().maxBytes() + ")");
                return 0;
            } catch (ConfigException e) {
                System.err.println("gantry: " + e.getMessage());
                return 2;
            }
        }
    }
}
