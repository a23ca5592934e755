import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/**
 * Makes the benchmark's images and pushes them to a registry with the
 * distribution API (no daemon, no skopeo): real gzip-compressed tar layers
 * of incompressible, seeded random bytes, an OCI config with matching
 * {@code diff_ids}, and an OCI manifest.
 *
 * <ul>
 * <li>{@code bench/pull:1} — 20 layers shaped like Docker Hub's (Anwar et al.:
 *     most layers under 1 MB, a few of tens of MB), about 64 MB in all</li>
 * <li>{@code bench/blobs:1} — three layers: 100 KB, 1 MB and 512 MB (--big-mb)</li>
 * <li>{@code bench/warmup:1} — six small layers, pulled through every cache before
 *     the cold pull so that no server is measured on its very first requests;
 *     {@code bench/warmup:2} to {@code :10} the shape of {@code bench/pull:1} with
 *     other bytes (cold pulls that compile a server's miss path before it is measured)</li>
 * </ul>
 *
 * Writes every blob to {@code OUT/blobs/sha256/<hex>} and every manifest to
 * {@code OUT/manifests/<repo>/<tag>}, and describes them in
 * {@code OUT/images.tsv}: {@code kind repo tag-or-label digest size}.
 *
 * <pre>java ImageGen.java --registry http://127.0.0.1:17300 --out DIR [--big-mb 512] [--seed 1]</pre>
 */
public final class ImageGen {

    /** How many {@code bench/warmup} tags there are, each with its own layers. */
    static final int WARMUP_TAGS = 10;

    private static final String MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json";
    private static final String CONFIG_TYPE = "application/vnd.oci.image.config.v1+json";
    private static final String LAYER_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip";

    /** Layer sizes of the pull image, in KiB. */
    private static final int[] PULL_LAYERS_KIB = {
        8, 24, 48, 96, 160, 256, 384, 512, 640, 768, 896, 1000,
        2048, 3072, 5120, 7168,
        9216, 10240, 12288, 12288,
    };

    private final HttpClient http = HttpClient.newHttpClient();
    private final String registry;
    private final Path out;
    private final SplittableRandom random;
    private final List<String> table = new ArrayList<>();

    private ImageGen(String registry, Path out, long seed) {
        this.registry = registry;
        this.out = out;
        this.random = new SplittableRandom(seed);
    }

    public static void main(String[] args) throws Exception {
        String registry = null;
        Path out = null;
        long bigMb = 512;
        long seed = 1;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--registry" -> registry = args[++i];
                case "--out" -> out = Path.of(args[++i]);
                case "--big-mb" -> bigMb = Long.parseLong(args[++i]);
                case "--seed" -> seed = Long.parseLong(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (registry == null || out == null) {
            throw new IllegalArgumentException("usage: ImageGen --registry URL --out DIR [--big-mb N] [--seed N]");
        }
        Files.createDirectories(out.resolve("blobs/sha256"));
        ImageGen gen = new ImageGen(registry, out, seed);

        List<Blob> pull = new ArrayList<>();
        for (int i = 0; i < PULL_LAYERS_KIB.length; i++) {
            pull.add(gen.layer("pull-" + i, PULL_LAYERS_KIB[i] * 1024L));
        }
        gen.image("bench/pull", "1", pull);

        List<Blob> hot = List.of(
                gen.layer("100KB", 100 * 1000L),
                gen.layer("1MB", 1000 * 1000L),
                gen.layer(bigMb + "MB", bigMb * 1024 * 1024));
        gen.image("bench/blobs", "1", hot);

        List<Blob> warmup = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            warmup.add(gen.layer("warmup-" + i, (16L << (2 * i)) * 1024 / 4));
        }
        gen.image("bench/warmup", "1", warmup);

        // Tags 2..WARMUP_TAGS: bench/pull:1's shape with other bytes, so that a warm-up can pull
        // images no cache holds yet and compile a server's whole cold-pull path before it is
        // measured (bench/fleet.sh's WARM_PULLS).
        for (int t = 2; t <= WARMUP_TAGS; t++) {
            List<Blob> more = new ArrayList<>();
            for (int i = 0; i < PULL_LAYERS_KIB.length; i++) {
                more.add(gen.layer("warmup" + t + "-" + i, PULL_LAYERS_KIB[i] * 1024L));
            }
            gen.image("bench/warmup", Integer.toString(t), more);
        }

        Files.write(out.resolve("images.tsv"), gen.table, StandardCharsets.UTF_8);
        System.out.println("images pushed to " + registry + "; described in " + out.resolve("images.tsv"));
    }

    /** A blob written under OUT/blobs; {@code diffId} is the digest of the uncompressed tar (layers only). */
    private record Blob(String label, String digest, long size, String diffId, String mediaType) {
    }

    /**
     * A gzip tar holding one file of random bytes, sized so the blob is about
     * {@code target} bytes (stored deflate blocks: random bytes do not compress).
     */
    private Blob layer(String label, long target) throws IOException {
        long payload = Math.max(0, target - 2048 - 5 * (target / 65535 + 1) - 18);
        Path tmp = out.resolve("blobs/.tmp-" + label);
        MessageDigest blobSha = sha256();
        MessageDigest tarSha = sha256();
        try (OutputStream file = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20);
             DigestOutputStream blobDigest = new DigestOutputStream(file, blobSha);
             GZIPOutputStream gzip = new GZIPOutputStream(blobDigest, 1 << 16) {
                 {
                     def.setLevel(Deflater.NO_COMPRESSION);
                 }
             };
             DigestOutputStream tar = new DigestOutputStream(gzip, tarSha)) {
            tar.write(tarHeader("layer-" + label + "/data.bin", payload));
            byte[] buf = new byte[1 << 16];
            long left = payload;
            while (left > 0) {
                int n = (int) Math.min(buf.length, left);
                fill(buf, n);
                tar.write(buf, 0, n);
                left -= n;
            }
            int pad = (int) ((512 - payload % 512) % 512);
            tar.write(new byte[pad + 1024]); // padding, then the two zero blocks that end an archive
        }
        String digest = "sha256:" + HexFormat.of().formatHex(blobSha.digest());
        Path blobFile = out.resolve("blobs/sha256").resolve(digest.substring(7));
        Files.move(tmp, blobFile, StandardCopyOption.REPLACE_EXISTING);
        String diffId = "sha256:" + HexFormat.of().formatHex(tarSha.digest());
        return new Blob(label, digest, Files.size(blobFile), diffId, LAYER_TYPE);
    }

    private void fill(byte[] buf, int n) {
        for (int i = 0; i < n; i += 8) {
            long v = random.nextLong();
            for (int j = 0; j < 8 && i + j < n; j++) {
                buf[i + j] = (byte) (v >>> (8 * j));
            }
        }
    }

    private static byte[] tarHeader(String name, long size) {
        byte[] h = new byte[512];
        put(h, 0, name);
        put(h, 100, "0000644\0");
        put(h, 108, "0000000\0");
        put(h, 116, "0000000\0");
        put(h, 124, String.format("%011o\0", size));
        put(h, 136, String.format("%011o\0", 1_600_000_000L));
        put(h, 148, "        ");
        h[156] = '0';
        put(h, 257, "ustar\0");
        put(h, 263, "00");
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        put(h, 148, String.format("%06o\0 ", sum));
        return h;
    }

    private static void put(byte[] h, int at, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, h, at, b.length);
    }

    private void image(String repo, String tag, List<Blob> layers) throws IOException, InterruptedException {
        StringBuilder diffIds = new StringBuilder();
        for (Blob l : layers) {
            diffIds.append(diffIds.length() == 0 ? "" : ",").append('"').append(l.diffId()).append('"');
        }
        String configJson = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Env\":[\"PATH=/usr/bin:/bin\"]},"
                + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[" + diffIds + "]}}";
        Blob config = bytesBlob(repo + "-config", configJson.getBytes(StandardCharsets.UTF_8), CONFIG_TYPE);

        StringBuilder m = new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"" + MANIFEST_TYPE + "\",\"config\":")
                .append(descriptor(config)).append(",\"layers\":[");
        for (int i = 0; i < layers.size(); i++) {
            m.append(i == 0 ? "" : ",").append(descriptor(layers.get(i)));
        }
        m.append("]}");
        byte[] manifest = m.toString().getBytes(StandardCharsets.UTF_8);

        for (Blob b : layers) {
            push(repo, b);
            table.add(String.join("\t", "layer", repo, b.label(), b.digest(), Long.toString(b.size())));
        }
        push(repo, config);
        table.add(String.join("\t", "config", repo, tag, config.digest(), Long.toString(config.size())));

        HttpResponse<String> put = http.send(HttpRequest.newBuilder(URI.create(registry + "/v2/" + repo + "/manifests/" + tag))
                .header("Content-Type", MANIFEST_TYPE)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(manifest)).build(), HttpResponse.BodyHandlers.ofString());
        expect(put, 201, "PUT manifest " + repo + ":" + tag);
        String digest = "sha256:" + HexFormat.of().formatHex(sha256().digest(manifest));
        Path mf = out.resolve("manifests").resolve(repo).resolve(tag);
        Files.createDirectories(mf.getParent());
        Files.write(mf, manifest);
        table.add(String.join("\t", "manifest", repo, tag, digest, Integer.toString(manifest.length)));
    }

    private Blob bytesBlob(String label, byte[] bytes, String mediaType) throws IOException {
        String digest = "sha256:" + HexFormat.of().formatHex(sha256().digest(bytes));
        Files.write(out.resolve("blobs/sha256").resolve(digest.substring(7)), bytes);
        return new Blob(label, digest, bytes.length, null, mediaType);
    }

    private static String descriptor(Blob b) {
        return "{\"mediaType\":\"" + b.mediaType() + "\",\"digest\":\"" + b.digest() + "\",\"size\":" + b.size() + "}";
    }

    /** Monolithic upload: POST for a session, PUT the bytes with the digest. Skipped when present. */
    private void push(String repo, Blob b) throws IOException, InterruptedException {
        HttpResponse<Void> head = http.send(HttpRequest.newBuilder(URI.create(registry + "/v2/" + repo + "/blobs/" + b.digest()))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
        if (head.statusCode() == 200) {
            return;
        }
        HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create(registry + "/v2/" + repo + "/blobs/uploads/"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        expect(post, 202, "POST upload " + repo);
        String location = post.headers().firstValue("Location").orElseThrow();
        URI target = URI.create(registry).resolve(location);
        String sep = target.getQuery() == null ? "?" : "&";
        Path file = out.resolve("blobs/sha256").resolve(b.digest().substring(7));
        HttpResponse<String> put = http.send(HttpRequest.newBuilder(URI.create(target + sep + "digest=" + b.digest()))
                .header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.ofFile(file)).build(), HttpResponse.BodyHandlers.ofString());
        expect(put, 201, "PUT blob " + b.digest());
    }

    private static void expect(HttpResponse<String> r, int status, String what) {
        if (r.statusCode() != status) {
            throw new IllegalStateException(what + ": HTTP " + r.statusCode() + " " + r.body());
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
