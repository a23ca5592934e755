package dev.gantry.scan;

import static org.junit.jupiter.api.Assertions.fail;

import dev.gantry.testing.Tools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * External tools the scanner's tests use as oracles or to build real inputs
 * (gcc, objdump, dpkg-deb, apt-get...). A missing tool fails the test with a
 * message saying what to install when {@code CI=true}; elsewhere the test is
 * skipped ({@link Tools#cannotRun}). bin/test-deps installs them.
 */
public final class TestTools {
    private TestTools() {
    }

    /** Requires the commands to be on PATH (fails under CI, skips otherwise). */
    public static void require(String... commands) {
        for (String c : commands) {
            if (!onPath(c)) {
                Tools.cannotRun("'" + c + "' is not installed (bin/test installs it as root: see bin/test-deps)");
            }
        }
    }

    /** Requires a condition the environment provides (a file, network to the Debian archive...). */
    public static void requireThat(boolean condition, String what) {
        if (!condition) {
            Tools.cannotRun(what);
        }
    }

    static boolean onPath(String command) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String dir : path.split(":")) {
            if (Files.isExecutable(Path.of(dir, command))) {
                return true;
            }
        }
        return false;
    }

    /** Runs a command, failing the test with its output when it exits non-zero; returns stdout. */
    public static String run(Path dir, String... command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command);
        if (dir != null) {
            pb.directory(dir.toFile());
        }
        Path err = Files.createTempFile("gantry-test", ".err");
        try {
            Process p = pb.redirectError(err.toFile()).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(10, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                fail(String.join(" ", command) + " timed out");
            }
            if (p.exitValue() != 0) {
                fail(String.join(" ", command) + " exited " + p.exitValue() + ": " + Files.readString(err));
            }
            return new String(out, StandardCharsets.UTF_8);
        } finally {
            Files.deleteIfExists(err);
        }
    }
}
