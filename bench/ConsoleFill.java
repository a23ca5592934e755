import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPOutputStream;

/**
 * Fills a Gantry mirror with many small synthetic images for bench/console.sh:
 * pushes them to the upstream registry (distribution API, monolithic uploads),
 * then has Gantry cache each one (manifest GET by tag) and make its hardware
 * document (GET _gantry/hardware, asked again while it answers 202), so the
 * cache, the admin listing and the hardware catalog all hold every image.
 *
 * <p>Images are {@code bench/r<R>:<T>}: --images spread over --repos
 * repositories. Each repository has one layer, one of a few kinds the
 * scanner classifies differently (an NVIDIA GPU library, a KVM emulator, an
 * OpenCL ICD, nothing); each image has its own config (so its own manifest
 * digest) over that layer. Layers are scanned once each (by digest), as in a
 * real cache; the documents are per image.
 *
 * <pre>java ConsoleFill.java --upstream http://127.0.0.1:P --gantry http://127.0.0.1:Q [--images 10000] [--repos 1000] [--threads 8]</pre>
 */
public final class ConsoleFill {

    static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    record Blob(byte[] bytes, String digest) {
        static Blob of(byte[] bytes) {
            return new Blob(bytes, "sha256:" + sha256(bytes));
        }
    }

    record Layer(Blob gzip, String diffId) {
    }

    public static void main(String[] args) throws Exception {
        String upstream = null;
        String gantry = null;
        int images = 10_000;
        int repos = 1_000;
        int threads = 8;
        for (int i = 0; i < args.length; i += 2) {
            switch (args[i]) {
                case "--upstream" -> upstream = args[i + 1];
                case "--gantry" -> gantry = args[i + 1];
                case "--images" -> images = Integer.parseInt(args[i + 1]);
                case "--repos" -> repos = Integer.parseInt(args[i + 1]);
                case "--threads" -> threads = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (upstream == null || gantry == null) {
            throw new IllegalArgumentException("--upstream and --gantry are required");
        }
        List<Layer> kinds = List.of(
                layer("usr/local/cuda/lib64/libcudart.so.12", 1),
                layer("usr/bin/qemu-system-x86_64", 2),
                layer("etc/OpenCL/vendors/nvidia.icd", 3),
                layer("etc/motd", 4));
        int perRepo = Math.max(1, images / repos);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        long t0 = System.nanoTime();
        final String up = upstream;
        run(pool, repos, r -> {
            Layer layer = kinds.get(r % kinds.size());
            String repo = "bench/r" + r;
            pushBlob(up, repo, layer.gzip());
            for (int t = 0; t < perRepo; t++) {
                String gpuEnv = r % kinds.size() == 0 ? ",\"NVIDIA_VISIBLE_DEVICES=all\",\"NVIDIA_REQUIRE_CUDA=cuda>=12.2\"" : "";
                Blob config = Blob.of(("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Env\":[\"PATH=/usr/bin:/bin\",\"IMAGE="
                        + r + "-" + t + "\"" + gpuEnv + "]},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + layer.diffId() + "\"]}}")
                        .getBytes(StandardCharsets.UTF_8));
                pushBlob(up, repo, config);
                String manifest = "{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",\"config\":{\"mediaType\":"
                        + "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + config.digest() + "\",\"size\":"
                        + config.bytes().length + "},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\","
                        + "\"digest\":\"" + layer.gzip().digest() + "\",\"size\":" + layer.gzip().bytes().length + "}]}";
                send("PUT", up + "/v2/" + repo + "/manifests/" + t, manifest.getBytes(StandardCharsets.UTF_8), 201,
                        "Content-Type", OCI_MANIFEST);
            }
        });
        System.out.printf("pushed %d images in %d repositories upstream in %.1f s%n", repos * perRepo, repos, seconds(t0));
        long t1 = System.nanoTime();
        final String g = gantry;
        final int tags = perRepo;
        run(pool, repos, r -> {
            for (int t = 0; t < tags; t++) {
                String repo = "bench/r" + r;
                send("GET", g + "/v2/" + repo + "/manifests/" + t, null, 200, "Accept", OCI_MANIFEST);
                for (int tries = 0; ; tries++) {
                    int status = send("GET", g + "/v2/" + repo + "/_gantry/hardware/" + t, null, -1);
                    if (status == 200) {
                        break;
                    }
                    if (status != 202 || tries > 600) {
                        throw new IllegalStateException(repo + ":" + t + " hardware answered " + status);
                    }
                    Thread.sleep(100);
                }
            }
        });
        System.out.printf("cached and scanned %d images through Gantry in %.1f s%n", repos * perRepo, seconds(t1));
        pool.shutdown();
    }

    interface Task {
        void run(int i) throws Exception;
    }

    static void run(ExecutorService pool, int n, Task task) throws Exception {
        AtomicInteger next = new AtomicInteger();
        List<Future<?>> workers = new ArrayList<>();
        for (int w = 0; w < ((java.util.concurrent.ThreadPoolExecutor) pool).getCorePoolSize(); w++) {
            workers.add(pool.submit(() -> {
                for (int i; (i = next.getAndIncrement()) < n; ) {
                    task.run(i);
                }
                return null;
            }));
        }
        for (Future<?> f : workers) {
            f.get();
        }
    }

    static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    static void pushBlob(String registry, String repo, Blob blob) throws Exception {
        if (send("HEAD", registry + "/v2/" + repo + "/blobs/" + blob.digest(), null, -1) == 200) {
            return;
        }
        HttpResponse<Void> start = HTTP.send(HttpRequest.newBuilder(URI.create(registry + "/v2/" + repo + "/blobs/uploads/"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
        if (start.statusCode() != 202) {
            throw new IllegalStateException("upload start in " + repo + ": " + start.statusCode());
        }
        URI location = URI.create(registry).resolve(start.headers().firstValue("Location").orElseThrow());
        String sep = location.getRawQuery() == null ? "?" : "&";
        send("PUT", location + sep + "digest=" + blob.digest(), blob.bytes(), 201, "Content-Type", "application/octet-stream");
    }

    /** Sends a request; with expect >= 0 fails unless the status is that; returns the status. */
    static int send(String method, String url, byte[] body, int expect, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).method(method,
                body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        if (expect >= 0 && r.statusCode() != expect) {
            throw new IllegalStateException(method + " " + url + ": " + r.statusCode() + " " + r.body());
        }
        return r.statusCode();
    }

    /** A gzipped tar holding one small file at {@code path}. */
    static Layer layer(String path, int seed) throws IOException {
        byte[] content = new byte[2048 + seed];
        new java.util.Random(seed).nextBytes(content);
        ByteArrayOutputStream tar = new ByteArrayOutputStream();
        byte[] header = new byte[512];
        byte[] name = path.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(name, 0, header, 0, name.length);
        octal(header, 100, 8, 0644);
        octal(header, 108, 8, 0);
        octal(header, 116, 8, 0);
        octal(header, 124, 12, content.length);
        octal(header, 136, 12, 1_700_000_000L);
        header[156] = '0';
        System.arraycopy("ustar\u000000".getBytes(StandardCharsets.US_ASCII), 0, header, 257, 8);
        java.util.Arrays.fill(header, 148, 156, (byte) ' ');
        long sum = 0;
        for (byte x : header) {
            sum += x & 0xff;
        }
        octal(header, 148, 8, sum);
        tar.write(header);
        tar.write(content);
        tar.write(new byte[(512 - content.length % 512) % 512]);
        tar.write(new byte[1024]);
        byte[] plain = tar.toByteArray();
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
            out.write(plain);
        }
        return new Layer(Blob.of(gz.toByteArray()), "sha256:" + sha256(plain));
    }

    static void octal(byte[] header, int at, int length, long value) {
        String s = String.format("%0" + (length - 1) + "o", value);
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, header, at, b.length);
        header[at + length - 1] = 0;
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
