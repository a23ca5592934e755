package dev.gantry.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Gantry as operators run it: {@code java -jar gantry.jar serve --config FILE}
 * in its own process, so tests can kill it with SIGKILL mid-fill and start it
 * again on the same data, or run several replicas at once.
 */
public final class GantryProcess implements Replica {

    private final Path config;
    private final int port;
    private final List<String> jvmFlags;
    private final List<String> output = new ArrayList<>();
    private Process process;

    private GantryProcess(Path config, int port, List<String> jvmFlags) {
        this.config = config;
        this.port = port;
        this.jvmFlags = jvmFlags;
    }

    /**
     * @param yaml configuration without {@code listen}, which this sets to a free port
     */
    public static GantryProcess start(Path dir, String yaml) {
        return start(dir, yaml, List.of("-Xmx256m"));
    }

    /**
     * @param yaml configuration without {@code listen}, which this sets to a free port
     * @param jvmFlags the JVM's flags, e.g. {@link Launcher#jvmFlags()} to run as {@code bin/gantry} does
     */
    public static GantryProcess start(Path dir, String yaml, List<String> jvmFlags) {
        int port = Tools.freePort();
        try {
            Files.createDirectories(dir);
            Path config = dir.resolve("gantry.yaml");
            Files.writeString(config, "listen: 127.0.0.1:" + port + "\n" + yaml);
            GantryProcess g = new GantryProcess(config, port, List.copyOf(jvmFlags));
            g.launch();
            return g;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void launch() {
        String jar = System.getProperty("gantry.jar");
        if (jar == null || !Files.exists(Path.of(jar))) {
            throw new IllegalStateException("gantry.jar not built (system property gantry.jar = " + jar + "); run mvn verify");
        }
        try {
            synchronized (output) {
                output.clear();
            }
            List<String> command = new ArrayList<>();
            command.add(S3ProxyServer.javaBinary());
            command.addAll(jvmFlags);
            command.addAll(List.of("-jar", jar, "serve", "--config", config.toString()));
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
            Tools.collect(process.getInputStream(), output);
            try {
                awaitReady();
            } catch (RuntimeException | Error e) {
                // A process that did not come up is no one's to stop later.
                process.destroyForcibly();
                throw e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void awaitReady() {
        Http http = new Http(url());
        Awaits.waitFor("gantry ready", Duration.ofSeconds(60))
                .unless(() -> process.isAlive() ? null : "gantry exited")
                .explain(() -> String.join("\n", Tools.snapshot(output)))
                .until(() -> http.get("/readyz").status() == 200);
    }

    public String url() {
        return "http://127.0.0.1:" + port;
    }

    public String hostPort() {
        return "127.0.0.1:" + port;
    }

    public long pid() {
        return process.pid();
    }

    /** Whether the process is still running. */
    public boolean isAlive() {
        return process.isAlive();
    }

    /** The process's resident set size now, from {@code /proc/PID/status} (VmRSS), in bytes. */
    public long rssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
            throw new IllegalStateException("no VmRSS for pid " + process.pid());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The process's output so far (access log included). */
    public List<String> output() {
        return Tools.snapshot(output);
    }

    /** SIGKILL: no shutdown hook, no cleanup, like a crash or an OOM kill. */
    public void kill9() {
        process.destroyForcibly();
        try {
            process.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Starts the same configuration again (same port, same data). */
    public void restart() {
        if (process.isAlive()) {
            kill9();
        }
        launch();
    }

    /** SIGTERM and wait: a graceful shutdown. */
    public void stop() {
        if (process != null && process.isAlive()) {
            // Through the handle: Process.destroy() also closes our end of the output pipe,
            // and the lines the server logs while it drains would be lost.
            process.toHandle().destroy();
            try {
                if (!process.waitFor(30, TimeUnit.SECONDS)) {
                    kill9();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void close() {
        stop();
    }
}
