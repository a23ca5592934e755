package dev.gantry.cli;

import ch.qos.logback.classic.LoggerContext;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code gantry}: the command line. Subcommands do the work. */
@Command(name = "gantry",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "A hardware-aware OCI registry mirror.",
        subcommands = {ServeCommand.class, ConfigCommand.class, ScanCommand.class, CheckCommand.class, CacheCommand.class,
                CommandLine.HelpCommand.class})
public final class GantryCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        if (args.length == 0 || !args[0].equals("serve")) {
            // Commands print results on standard output: their log goes to standard error, warnings only.
            System.setProperty("gantry.log.target", "System.err");
            System.setProperty("gantry.log.level", "WARN");
        }
        int exit = new CommandLine(new GantryCommand()).execute(args);
        // Log lines are written by a daemon thread: let it finish before the JVM goes.
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext logging) {
            logging.stop();
        }
        System.exit(exit);
    }
}
