package dev.gantry.testing;

import dev.gantry.config.S3Config;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3AsyncClient;

/**
 * A real S3 API server for tests: S3Proxy (Maven Central) over a local
 * directory, run as its own process on loopback and a free port. Can be
 * stopped and started again on the same port and data, to play an outage.
 */
public final class S3ProxyServer implements AutoCloseable {

    public static final String IDENTITY = "local-identity";
    public static final String CREDENTIAL = "local-credential";

    private final Path dir;
    private final int port;
    private final List<String> output = new ArrayList<>();
    private Process process;

    private final String backend;

    private S3ProxyServer(Path dir, int port, String backend) {
        this.dir = dir;
        this.port = port;
        this.backend = backend;
    }

    /** S3Proxy on its filesystem backend under {@code dir} (objects survive a restart of S3Proxy). */
    public static S3ProxyServer start(Path dir) {
        S3ProxyServer s = new S3ProxyServer(dir, Tools.freePort(),
                "jclouds.provider=filesystem\njclouds.filesystem.basedir=" + dir.resolve("data") + "\n");
        s.launch();
        return s;
    }

    /**
     * S3Proxy on jclouds' in-memory backend, whose PUT replaces an object whole like S3's: for
     * tests of concurrent writers and readers of one key, which the filesystem backend answers
     * with errors (status 999) or, to a reader racing a writer, with a partly written file.
     */
    public static S3ProxyServer startInMemory(Path dir) {
        S3ProxyServer s = new S3ProxyServer(dir, Tools.freePort(), "jclouds.provider=transient\n");
        s.launch();
        return s;
    }

    private void launch() {
        String jar = System.getProperty("s3proxy.jar");
        if (jar == null || !Files.exists(Path.of(jar))) {
            throw new IllegalStateException("S3Proxy jar not found (system property s3proxy.jar = " + jar
                    + "); it is copied by the build in generate-test-resources");
        }
        try {
            Files.createDirectories(dir.resolve("data"));
            Path props = dir.resolve("s3proxy.properties");
            Files.writeString(props, "s3proxy.endpoint=http://127.0.0.1:" + port + "\n"
                    + "s3proxy.authorization=aws-v2-or-v4\n"
                    + "s3proxy.identity=" + IDENTITY + "\n"
                    + "s3proxy.credential=" + CREDENTIAL + "\n"
                    + backend);
            ProcessBuilder pb = new ProcessBuilder(javaBinary(), "-Xmx256m", "-jar", jar, "--properties", props.toString())
                    .redirectErrorStream(true);
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

    /**
     * Where the filesystem backend ({@link #start}) keeps the object {@code key} of {@code bucket}:
     * for a test that makes one write fail for real (a non-empty directory where the object would go).
     */
    public Path objectFile(String bucket, String key) {
        return dir.resolve("data").resolve(bucket).resolve(key);
    }

    public static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private void awaitUp() {
        Http http = new Http(endpoint());
        // Any answer at all: S3Proxy is listening. It is a Jetty and jclouds start on a cold JVM: a
        // minute was not always enough at a load of 20 on two cores.
        Awaits.waitFor("S3Proxy up", Duration.ofSeconds(120))
                .unless(() -> process.isAlive() ? null : "S3Proxy exited")
                .explain(() -> String.join("\n", Tools.snapshot(output)))
                .until(() -> http.get("/").status() > 0);
    }

    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    /** A client for test set-up and inspection (join its futures). */
    public S3AsyncClient client() {
        return S3AsyncClient.builder()
                .endpointOverride(URI.create(endpoint()))
                .region(Region.US_EAST_1)
                .forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(IDENTITY, CREDENTIAL)))
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .build();
    }

    public void createBucket(String bucket) {
        try (S3AsyncClient c = client()) {
            c.createBucket(b -> b.bucket(bucket)).join();
        }
    }

    /** Configuration of a Gantry S3 tier on this server. */
    public S3Config config(String bucket, String prefix) {
        return new S3Config(endpoint(), "us-east-1", bucket, prefix, true, null, null, IDENTITY, CREDENTIAL);
    }

    /** The YAML of {@link #config}, indented for {@code storage:}. */
    public String yaml(String bucket, String prefix) {
        return "  s3:\n    endpoint: " + endpoint() + "\n    region: us-east-1\n    bucket: " + bucket
                + "\n    prefix: \"" + prefix + "\"\n    pathStyle: true\n    accessKeyId: " + IDENTITY
                + "\n    secretAccessKey: " + CREDENTIAL + "\n";
    }

    public void stop() {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    public void restart() {
        stop();
        launch();
    }

    @Override
    public void close() {
        stop();
    }
}
