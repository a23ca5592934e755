package dev.gantry.cli;

import dev.gantry.config.ConfigException;
import dev.gantry.config.ConfigLoader;
import dev.gantry.config.GantryConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code gantry config validate FILE}: checks a configuration without starting anything. */
@Command(name = "config", mixinStandardHelpOptions = true, description = "Work with configuration files.",
        subcommands = {ConfigCommand.Validate.class})
final class ConfigCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "validate", mixinStandardHelpOptions = true,
            description = "Check a configuration file as 'serve' would before starting (keys, values, the files it "
                    + "names, the JVM's memory limits, the knowledge base); exit 0 if Gantry would start with it, "
                    + "2 with every problem if not.")
    static final class Validate implements Callable<Integer> {

        @Parameters(paramLabel = "FILE", description = "configuration file (YAML); '-' reads standard input")
        String file;

        @Option(names = "--syntax-only", description = "check keys and values only, not the files the configuration "
                + "names nor this JVM's limits: for a configuration rendered for another machine (a Helm chart in CI)")
        boolean syntaxOnly;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            try {
                Supplier<GantryConfig> read = () -> "-".equals(file)
                        ? ConfigLoader.withSystemEnvironment().load(System.in, "standard input")
                        : Configs.load(Path.of(file));
                GantryConfig c = syntaxOnly ? read.get() : Configs.validate(read);
                out.println("ok: listen " + c.listen() + ", " + c.upstreams().size() + " upstream(s), disk "
                        + c.storage().disk().path() + " (" + c.storage().disk().maxBytes() + ")");
                out.flush();
                return 0;
            } catch (ConfigException e) {
                Configs.print(err, e);
                err.flush();
                return 2;
            }
        }
    }
}
