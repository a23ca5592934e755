package dev.gantry.cli;

import dev.gantry.app.Preflight;
import dev.gantry.config.ConfigException;
import dev.gantry.config.ConfigLoader;
import dev.gantry.config.GantryConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/** How the commands read a configuration and report what is wrong with it. */
final class Configs {

    private Configs() {
    }

    /** The file's configuration, or the embedded defaults when {@code file} is null. */
    static GantryConfig load(Path file) {
        ConfigLoader loader = ConfigLoader.withSystemEnvironment();
        return file == null ? loader.loadEmbedded() : loader.load(file);
    }

    /**
     * Everything {@code serve} checks before it binds or writes: the syntax,
     * keys and values, then the files the configuration names and the JVM's
     * limits; every problem of both at once.
     *
     * @param read reads the configuration (and checks its keys and values)
     */
    static GantryConfig validate(Supplier<GantryConfig> read) {
        GantryConfig config;
        List<String> problems = new ArrayList<>();
        try {
            config = read.get();
        } catch (ConfigException e) {
            if (e.parsed().isEmpty()) {
                throw e;
            }
            config = e.parsed().get();
            problems.addAll(e.problems());
        }
        try {
            Preflight.check(config);
        } catch (ConfigException e) {
            problems.addAll(e.problems());
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return config;
    }

    /** One line per problem, each starting {@code gantry: }. */
    static void print(PrintWriter err, ConfigException e) {
        for (String problem : e.problems()) {
            err.println("gantry: " + problem);
        }
    }
}
