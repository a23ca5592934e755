package dev.gantry.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What {@code bin/gantry} runs: the JVM flags operators get by default. The
 * container images must run the jar with the same ones, so their tests read
 * them from the launcher rather than repeat them.
 */
public final class Launcher {

    private static final Pattern DEFAULT_OPTS = Pattern.compile("^default_opts=\\(([^)]*)\\)", Pattern.MULTILINE);

    private Launcher() {
    }

    /** The repository's root (tests run in {@code proxy-server/}). */
    public static Path repository() {
        return Path.of("..").toAbsolutePath().normalize();
    }

    /** The flags of {@code default_opts=(...)} in {@code bin/gantry}, in order. */
    public static List<String> jvmFlags() {
        try {
            String script = Files.readString(repository().resolve("bin/gantry"));
            Matcher m = DEFAULT_OPTS.matcher(script);
            if (!m.find()) {
                throw new IllegalStateException("no default_opts=(...) in bin/gantry");
            }
            return Arrays.stream(m.group(1).trim().split("\\s+")).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
