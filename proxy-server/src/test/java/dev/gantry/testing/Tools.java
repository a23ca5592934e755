package dev.gantry.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * External programs the tests drive (docker-registry, skopeo, dockerd…). A
 * missing program skips the test on a developer machine but fails it under
 * {@code CI=true}, so CI can never pass by skipping.
 */
public final class Tools {

    private Tools() {
    }

    /** The absolute path of {@code name} on PATH; skips (or, in CI, fails) when absent. */
    public static Path require(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        for (String dir : List.of("/usr/sbin", "/sbin", "/usr/bin")) {
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        cannotRun(name + " is not installed (bin/test installs it as root: see bin/test-deps)");
        return null;
    }

    /**
     * The one way a test says it cannot run its real part here: skipped with
     * {@code reason} on a developer machine (and named at the end of the run by
     * {@link SkippedReport}), failed under {@code CI=true}, so CI can never pass
     * by skipping.
     */
    public static void cannotRun(String reason) {
        if ("true".equals(System.getenv("CI"))) {
            fail(reason + " (CI=true: a test that cannot run its real part fails)");
        }
        Assumptions.abort(reason);
    }

    /** Skips (or fails in CI) unless running as root, which dockerd, containerd and podman need here. */
    public static void requireRoot() {
        if (!"root".equals(System.getProperty("user.name"))) {
            cannotRun("needs root to run container engines");
        }
    }

    /** Output of a finished command. */
    public record Result(int exit, String stdout, String stderr) {
        public Result orFail(List<String> command) {
            if (exit != 0) {
                fail(String.join(" ", command) + " exited " + exit + "\nstdout: " + stdout + "\nstderr: " + stderr);
            }
            return this;
        }
    }

    public static Result run(List<String> command, Duration timeout) {
        return run(command, Map.of(), timeout);
    }

    /** Runs a command to completion (killing it after {@code timeout}). */
    public static Result run(List<String> command, Map<String, String> env, Duration timeout) {
        try {
            ProcessBuilder pb = new ProcessBuilder(command);
            pb.environment().putAll(env);
            Process p = pb.start();
            p.getOutputStream().close();
            CompletableFuture<String> out = drain(p.getInputStream());
            CompletableFuture<String> err = drain(p.getErrorStream());
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor();
                fail(String.join(" ", command) + " did not finish within " + timeout + "\nstderr: " + err.getNow(""));
            }
            return new Result(p.exitValue(), out.join(), err.join());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public static Result runOk(List<String> command, Duration timeout) {
        return run(command, timeout).orFail(command);
    }

    static CompletableFuture<String> drain(InputStream in) {
        return CompletableFuture.supplyAsync(() -> {
            try (in) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "";
            }
        });
    }

    /** Lines of a process's output collected as it runs. */
    static List<String> collect(InputStream in, List<String> sink) {
        Thread t = new Thread(() -> {
            try (var reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                    synchronized (sink) {
                        sink.add(line);
                    }
                }
            } catch (IOException ignored) {
                // Process ended.
            }
        }, "output-collector");
        t.setDaemon(true);
        t.start();
        return sink;
    }

    public static List<String> snapshot(List<String> lines) {
        synchronized (lines) {
            return new ArrayList<>(lines);
        }
    }

    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
