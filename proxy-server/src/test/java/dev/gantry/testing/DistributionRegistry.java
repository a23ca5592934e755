package dev.gantry.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real CNCF Distribution registry (Debian's {@code docker-registry})
 * started for a test, on loopback and a free port, with its storage in a
 * temporary directory. Its access log is read back, so tests count requests
 * where they arrive: at the upstream.
 */
public final class DistributionRegistry implements AutoCloseable {

    private static final Pattern ACCESS = Pattern.compile("\"(GET|HEAD|PUT|POST|PATCH|DELETE) (\\S+) HTTP/[0-9.]+\" (\\d{3})");

    /** One request as the upstream saw it. */
    public record Request(String method, String path, int status) {
        public boolean isBlobGet() {
            return method.equals("GET") && path.contains("/blobs/sha256:");
        }

        public boolean isManifestGet() {
            return method.equals("GET") && path.contains("/manifests/");
        }
    }

    private final Path dir;
    private final int port;
    private final String proxyRemote;
    private final List<String> output = new ArrayList<>();
    private Process process;

    private DistributionRegistry(Path dir, int port, String proxyRemote) {
        this.dir = dir;
        this.port = port;
        this.proxyRemote = proxyRemote;
    }

    /** Starts a plain registry with storage under {@code dir}. */
    public static DistributionRegistry start(Path dir) {
        DistributionRegistry r = new DistributionRegistry(dir, Tools.freePort(), null);
        r.launch();
        return r;
    }

    /** Starts Distribution in pull-through proxy mode in front of {@code remoteUrl} (the reference cache). */
    public static DistributionRegistry startProxy(Path dir, String remoteUrl) {
        DistributionRegistry r = new DistributionRegistry(dir, Tools.freePort(), remoteUrl);
        r.launch();
        return r;
    }

    private void launch() {
        Path binary = Tools.require("docker-registry");
        try {
            Files.createDirectories(dir.resolve("data"));
            String config = "version: 0.1\n"
                    + "log:\n  level: warn\n"
                    + "storage:\n  filesystem: {rootdirectory: " + dir.resolve("data") + "}\n  delete: {enabled: true}\n"
                    + "http: {addr: 127.0.0.1:" + port + "}\n"
                    + (proxyRemote == null ? "" : "proxy: {remoteurl: " + proxyRemote + "}\n");
            Path file = dir.resolve("config.yml");
            Files.writeString(file, config);
            ProcessBuilder pb = new ProcessBuilder(binary.toString(), "serve", file.toString()).redirectErrorStream(true);
            process = pb.start();
            Tools.collect(process.getInputStream(), output);
            try {
                awaitUp();
            } catch (RuntimeException | Error e) {
                // A process that did not come up is no one's to stop later.
                process.destroyForcibly();
                throw e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void awaitUp() {
        Http http = new Http(url());
        // The answer must be logged by our process: another process holding the port would answer too.
        // A marker request: left out of requests(), like the log's own markers.
        String probe = MARKER + "up-" + port;
        Awaits.waitFor("docker-registry up on port " + port, Duration.ofSeconds(20))
                .unless(() -> process.isAlive() ? null : "docker-registry exited")
                .explain(() -> String.join("\n", Tools.snapshot(output)))
                .until(() -> http.get(probe).status() == 200
                        && Tools.snapshot(output).stream().anyMatch(l -> l.contains(probe)));
    }

    public String url() {
        return "http://127.0.0.1:" + port;
    }

    /** {@code 127.0.0.1:port}, as image references want it. */
    public String hostPort() {
        return "127.0.0.1:" + port;
    }

    /** Stops the registry (the data stays); {@link #restart()} brings it back on the same port. */
    public void stop() {
        if (process != null && process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    public void restart() {
        stop();
        launch();
    }

    /**
     * Every request logged so far. The registry writes a request's line just
     * after its response, so a caller may hold a response whose line is not
     * in yet: this first waits for the log to catch up ({@link #catchUp}).
     */
    public List<Request> requests() {
        catchUp();
        List<Request> out = new ArrayList<>();
        for (String line : Tools.snapshot(output)) {
            Matcher m = ACCESS.matcher(line);
            if (m.find() && !m.group(2).startsWith(MARKER)) {
                out.add(new Request(m.group(1), m.group(2), Integer.parseInt(m.group(3))));
            }
        }
        return out;
    }

    /** Path of the test's own marker requests, left out of {@link #requests()}. */
    private static final String MARKER = "/v2/?gantry-test-log-marker=";
    private final AtomicInteger markers = new AtomicInteger();

    /**
     * Sends a marker request of its own and waits until its log line is in:
     * the lines of requests answered before it was sent are in by then, so
     * "no request" is asserted against the log, not against a pause.
     */
    private void catchUp() {
        String marker = MARKER + markers.incrementAndGet();
        try {
            HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url() + marker)).build(),
                    HttpResponse.BodyHandlers.discarding());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        Awaits.until(() -> Tools.snapshot(output).stream().anyMatch(l -> l.contains(marker + " ")), Duration.ofSeconds(10),
                "docker-registry logged the marker request " + marker);
    }

    public long count(Predicate<Request> which) {
        return requests().stream().filter(which).count();
    }

    /** Forgets the requests logged so far. */
    public void resetLog() {
        catchUp();
        synchronized (output) {
            output.clear();
        }
    }

    public void assertAlive() {
        assertThat(process.isAlive()).as("docker-registry alive").isTrue();
    }

    @Override
    public void close() {
        stop();
    }
}
