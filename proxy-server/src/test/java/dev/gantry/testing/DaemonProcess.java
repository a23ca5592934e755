package dev.gantry.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/**
 * A long-running program a test starts (dockerd, containerd). Its output goes
 * to a file in its own directory, so a failure can quote the tail; it is
 * stopped by its own process id (children included, which catches the
 * containerd that dockerd spawns), and whatever it left mounted under its
 * directory is unmounted.
 */
final class DaemonProcess implements AutoCloseable {

    private static final Duration STOP_GRACE = Duration.ofSeconds(20);

    private final String name;
    private final Path dir;
    private final Path log;
    private final Process process;

    private DaemonProcess(String name, Path dir, Path log, Process process) {
        this.name = name;
        this.dir = dir;
        this.log = log;
        this.process = process;
    }

    static DaemonProcess start(String name, Path dir, List<String> command, Map<String, String> env) {
        try {
            Files.createDirectories(dir);
            Path log = dir.resolve(name + ".log");
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
            pb.environment().putAll(env);
            Process p = pb.start();
            p.getOutputStream().close();
            return new DaemonProcess(name, dir, log, p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + String.join(" ", command), e);
        }
    }

    /** Polls {@code ready} until it holds; fails with the log's tail if the program exits or {@code timeout} passes. */
    void awaitReady(BooleanSupplier ready, Duration timeout) {
        Awaits.waitFor(name + " ready", timeout)
                .unless(() -> process.isAlive() ? null : name + " exited with " + process.exitValue() + " while starting")
                .explain(this::tail)
                .until(ready);
    }

    long pid() {
        return process.pid();
    }

    /** The last lines the program wrote, for failure messages. */
    String tail() {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return "--- last lines of " + log + " ---\n"
                    + String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** SIGTERM, then SIGKILL after a grace period, for the program and every descendant it left; then unmounts. */
    @Override
    public void close() {
        List<ProcessHandle> family = new ArrayList<>(process.descendants().toList());
        family.add(process.toHandle());
        process.destroy();
        awaitExit(process.toHandle(), STOP_GRACE);
        for (ProcessHandle h : family) {
            if (h.isAlive()) {
                h.destroy();
                awaitExit(h, Duration.ofSeconds(5));
            }
        }
        Mounts.unmountUnder(dir);
    }

    private static void awaitExit(ProcessHandle h, Duration grace) {
        try {
            h.onExit().get(grace.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            h.destroyForcibly();
            try {
                h.onExit().get(5, TimeUnit.SECONDS);
            } catch (Exception ignored) {
                // Reported by the mount clean-up or the next start, if it matters.
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Mount points in this process's mount namespace. */
    static final class Mounts {

        private Mounts() {
        }

        /** Unmounts everything mounted at or below {@code dir}, deepest first. */
        static void unmountUnder(Path dir) {
            String root = dir.toAbsolutePath().normalize().toString();
            List<String> points = new ArrayList<>();
            try {
                for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"), StandardCharsets.UTF_8)) {
                    String point = unescape(line.split(" ")[4]);
                    if (point.equals(root) || point.startsWith(root + "/")) {
                        points.add(point);
                    }
                }
            } catch (IOException e) {
                return; // Not Linux: nothing was mounted.
            }
            points.sort(Comparator.comparingInt(String::length).reversed());
            for (String point : points) {
                Tools.run(List.of("umount", "--lazy", point), Duration.ofSeconds(30));
            }
        }

        /** mountinfo escapes space, tab, newline and backslash as octal. */
        private static String unescape(String field) {
            StringBuilder out = new StringBuilder(field.length());
            for (int i = 0; i < field.length(); i++) {
                char c = field.charAt(i);
                if (c == '\\' && i + 3 < field.length()) {
                    out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                    i += 3;
                } else {
                    out.append(c);
                }
            }
            return out.toString();
        }
    }
}
