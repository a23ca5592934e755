package dev.gantry.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.testing.Awaits;
import dev.gantry.oci.Digest;
import dev.gantry.testing.GantryServer;
import dev.gantry.testing.Http;
import dev.gantry.testing.MutableClock;
import dev.gantry.testing.ScriptedUpstream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Range requests for blobs: single ranges of blobs still being filled are
 * served only once the bytes are known to be right, and several ranges are
 * answered with a {@code multipart/byteranges} body (RFC 9110 §14.6) from
 * whichever tier holds the blob.
 */
class RangeRequestsTest {

    @TempDir
    Path tmp;

    private ScriptedUpstream upstream;
    private GantryServer gantry;
    private Http http;
    /** What the upstream serves, by path. */
    private final Map<String, byte[]> served = new ConcurrentHashMap<>();

    @BeforeEach
    void startUpstream() throws Exception {
        upstream = new ScriptedUpstream(req -> {
            byte[] body = served.get(req.path());
            if (body == null) {
                return ScriptedUpstream.Answer.of(404, Map.of("Content-Length", "0"), new byte[0], false);
            }
            return ScriptedUpstream.Answer.of(200, Map.of("Content-Length", Integer.toString(body.length)),
                    req.method().equals("HEAD") ? new byte[0] : body, false);
        });
    }

    @AfterEach
    void stop() throws Exception {
        if (gantry != null) {
            gantry.close();
        }
        upstream.close();
    }

    private void startGantry() {
        gantry = GantryServer.start("upstreams:\n  - name: docker.io\n    url: " + upstream.url() + "\n    default: true\n"
                + "storage:\n  memory: {maxBytes: 16MiB, maxBlobBytes: 1MiB}\n  disk:\n    path: " + tmp.resolve("data") + "\n",
                tmp, MutableClock.startingNow());
        http = new Http(gantry.url());
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Serves {@code bytes} as the blob {@code digest} of test/x. */
    private String serve(Digest digest, byte[] bytes) {
        String path = "/v2/test/x/blobs/" + digest;
        served.put(path, bytes);
        return path;
    }

    private String serve(byte[] blob) {
        return serve(Digest.sha256(blob), blob);
    }

    // ---- a single range of a blob being filled -------------------------------------------------

    @Test
    void aRangeOfAColdBlobThatTurnsOutCorruptIsAnErrorNeverA206WithWrongBytes() {
        byte[] blob = random(3_000_000, 1);
        byte[] corrupt = blob.clone();
        corrupt[50] ^= 0x55; // inside the range asked for
        String path = serve(Digest.sha256(blob), corrupt);
        startGantry();

        Http.Response r = http.get(path, "Range", "bytes=0-99");

        assertThat(r.status()).as("a range that ends before the last byte waits for verification").isEqualTo(502);
        assertThat(r.text()).contains("UNAVAILABLE").contains("does not match its digest");
        assertThat(gantry.gantry().disk().statNow(Digest.sha256(blob))).isEmpty();
    }

    @Test
    void severalRangesOfAColdBlobThatTurnsOutCorruptAreAnErrorToo() {
        byte[] blob = random(3_000_000, 2);
        byte[] corrupt = blob.clone();
        corrupt[105] ^= 0x55;
        String path = serve(Digest.sha256(blob), corrupt);
        startGantry();

        Http.Response r = http.get(path, "Range", "bytes=0-9,100-109");

        assertThat(r.status()).isEqualTo(502);
        assertThat(r.text()).contains("does not match its digest");
    }

    @Test
    void aRangeOfAColdBlobIsServedOnceVerifiedAndTheWaitIsMeasured() {
        byte[] blob = random(16_000_000, 3);
        String path = serve(blob);
        startGantry();

        long t0 = System.nanoTime();
        Http.Response cold = http.get(path, "Range", "bytes=0-99");
        long coldNanos = System.nanoTime() - t0;
        assertThat(cold.status()).isEqualTo(206);
        assertThat(cold.header("Content-Range")).isEqualTo("bytes 0-99/" + blob.length);
        assertThat(cold.body()).isEqualTo(Arrays.copyOf(blob, 100));
        assertThat(gantry.gantry().disk().statNow(Digest.sha256(blob))).as("verified and committed first").isPresent();

        long t1 = System.nanoTime();
        Http.Response warm = http.get(path, "Range", "bytes=0-99");
        long warmNanos = System.nanoTime() - t1;
        assertThat(warm.body()).isEqualTo(cold.body());
        // The figure README's "Range requests" section quotes (loopback upstream, 16 MB blob).
        System.out.printf("range 0-99 of a cold 16 MB blob: %d ms (waits for the whole fill and its verification); "
                + "of the cached blob: %d ms%n", coldNanos / 1_000_000, warmNanos / 1_000_000);
    }

    @Test
    void aRangeThatReachesTheLastByteOfAColdBlobIsServedAsItArrives() {
        byte[] blob = random(2_000_000, 4);
        String path = serve(blob);
        startGantry();

        Http.Response r = http.get(path, "Range", "bytes=1000000-");

        assertThat(r.status()).isEqualTo(206);
        assertThat(r.body()).isEqualTo(Arrays.copyOfRange(blob, 1_000_000, blob.length));
    }

    // ---- several ranges: multipart/byteranges -------------------------------------------------

    @Test
    void severalRangesOfABlobInMemoryAreAMultipartByterangesBody() throws Exception {
        byte[] blob = random(300_000, 5);
        Digest d = Digest.sha256(blob);
        String path = serve(blob);
        startGantry();
        assertThat(http.get(path).status()).isEqualTo(200);
        awaitInMemory(d);
        // Only memory can answer now.
        Files.delete(gantry.gantry().disk().pathOf(d));

        Http.Response r = http.get(path, "Range", "bytes=0-9,100-109,-5");

        assertThat(r.header("X-Gantry-Cache")).isEqualTo("hit");
        assertMultipart(r, blob, List.of(new long[] {0, 9}, new long[] {100, 109}, new long[] {blob.length - 5, blob.length - 1}));
    }

    @Test
    void severalRangesOfABlobOnDiskAreAMultipartByterangesBody() {
        byte[] blob = random(6_000_000, 6); // over the memory tier's 1 MiB: only the disk holds it
        Digest d = Digest.sha256(blob);
        String path = serve(blob);
        startGantry();
        assertThat(http.get(path).status()).isEqualTo(200);
        assertThat(gantry.gantry().memory().statNow(d)).isEmpty();

        Http.Response r = http.get(path, "Range", "bytes=5000000-5000099, 0-0 ,2000000-2999999");

        assertThat(r.header("X-Gantry-Cache")).isEqualTo("hit");
        assertMultipart(r, blob, List.of(new long[] {0, 0}, new long[] {2_000_000, 2_999_999}, new long[] {5_000_000, 5_000_099}));
    }

    @Test
    void severalRangesOfAColdBlobAreServedOnceVerified() {
        byte[] blob = random(3_000_000, 7);
        String path = serve(blob);
        startGantry();

        Http.Response r = http.get(path, "Range", "bytes=0-9,100-109");

        assertMultipart(r, blob, List.of(new long[] {0, 9}, new long[] {100, 109}));
    }

    @Test
    void overlappingRangesAreCoalescedIntoOne() {
        byte[] blob = random(100_000, 8);
        String path = serve(blob);
        startGantry();
        http.get(path);

        Http.Response r = http.get(path, "Range", "bytes=0-9,5-19,20-29");

        assertThat(r.status()).isEqualTo(206);
        assertThat(r.header("Content-Type")).isEqualTo("application/octet-stream");
        assertThat(r.header("Content-Range")).isEqualTo("bytes 0-29/100000");
        assertThat(r.body()).isEqualTo(Arrays.copyOf(blob, 30));
    }

    @Test
    void rangesBeyondTheEndAreLeftOutAnd416WhenNoneIsSatisfiable() {
        byte[] blob = random(100_000, 9);
        String path = serve(blob);
        startGantry();
        http.get(path);

        Http.Response some = http.get(path, "Range", "bytes=200000-,10-19");
        assertThat(some.status()).isEqualTo(206);
        assertThat(some.header("Content-Range")).isEqualTo("bytes 10-19/100000");

        Http.Response none = http.get(path, "Range", "bytes=200000-,300000-300001");
        assertThat(none.status()).isEqualTo(416);
        assertThat(none.header("Content-Range")).isEqualTo("bytes */100000");
        assertThat(none.text()).contains("RANGE_INVALID");
    }

    @Test
    void moreThan64RangesAre416() {
        byte[] blob = random(100_000, 10);
        String path = serve(blob);
        startGantry();
        http.get(path);
        StringBuilder ranges = new StringBuilder("bytes=");
        for (int i = 0; i < 65; i++) {
            ranges.append(i == 0 ? "" : ",").append(i * 100).append('-').append(i * 100 + 9);
        }

        Http.Response r = http.get(path, "Range", ranges.toString());

        assertThat(r.status()).isEqualTo(416);
        assertThat(r.text()).contains("more than 64 ranges");
        assertThat(http.get("/healthz").status()).isEqualTo(200);
    }

    private void awaitInMemory(Digest d) {
        Awaits.until(() -> gantry.gantry().memory().statNow(d).isPresent(), Duration.ofSeconds(5),
                "offered to memory once verified");
    }

    private static final Pattern BOUNDARY = Pattern.compile("multipart/byteranges; boundary=([0-9A-Za-z'()+_,./:=?-]{1,70})");
    private static final Pattern RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+)");

    /**
     * Reads a multipart/byteranges body as RFC 9110 §14.6 lays it out and
     * checks each part's headers and bytes against {@code blob}.
     */
    private static void assertMultipart(Http.Response r, byte[] blob, List<long[]> expected) {
        assertThat(r.status()).isEqualTo(206);
        assertThat(r.header("Content-Range")).as("only the parts carry Content-Range").isNull();
        assertThat(Long.parseLong(r.header("Content-Length"))).isEqualTo(r.body().length);
        Matcher m = BOUNDARY.matcher(r.header("Content-Type"));
        assertThat(m.matches()).as("Content-Type %s", r.header("Content-Type")).isTrue();
        byte[] delimiter = ("--" + m.group(1)).getBytes(StandardCharsets.US_ASCII);
        byte[] body = r.body();
        int pos = 0;
        List<long[]> seen = new ArrayList<>();
        while (true) {
            pos = expect(body, pos, delimiter);
            if (startsWith(body, pos, "--".getBytes(StandardCharsets.US_ASCII))) {
                pos = expect(body, pos + 2, "\r\n".getBytes(StandardCharsets.US_ASCII));
                break;
            }
            pos = expect(body, pos, "\r\n".getBytes(StandardCharsets.US_ASCII));
            int end = indexOf(body, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII), pos);
            assertThat(end).as("end of part headers").isGreaterThan(0);
            String contentType = null;
            String contentRange = null;
            for (String line : new String(body, pos, end - pos, StandardCharsets.US_ASCII).split("\r\n")) {
                String[] kv = line.split(":", 2);
                if (kv[0].equalsIgnoreCase("Content-Type")) {
                    contentType = kv[1].trim();
                } else if (kv[0].equalsIgnoreCase("Content-Range")) {
                    contentRange = kv[1].trim();
                }
            }
            assertThat(contentType).isEqualTo("application/octet-stream");
            Matcher range = RANGE.matcher(contentRange == null ? "" : contentRange);
            assertThat(range.matches()).as("Content-Range %s", contentRange).isTrue();
            long first = Long.parseLong(range.group(1));
            long last = Long.parseLong(range.group(2));
            assertThat(Long.parseLong(range.group(3))).isEqualTo(blob.length);
            pos = end + 4;
            int length = (int) (last - first + 1);
            assertThat(Arrays.copyOfRange(body, pos, pos + length))
                    .as("bytes of part %s", contentRange).isEqualTo(Arrays.copyOfRange(blob, (int) first, (int) last + 1));
            pos = expect(body, pos + length, "\r\n".getBytes(StandardCharsets.US_ASCII));
            seen.add(new long[] {first, last});
        }
        assertThat(pos).as("nothing after the closing delimiter").isEqualTo(body.length);
        assertThat(seen).usingElementComparator((a, b) -> Arrays.equals(a, b) ? 0 : 1).containsExactlyElementsOf(expected);
    }

    private static int expect(byte[] body, int pos, byte[] what) {
        assertThat(startsWith(body, pos, what)).as("'%s' at %d", new String(what, StandardCharsets.US_ASCII), pos).isTrue();
        return pos + what.length;
    }

    private static boolean startsWith(byte[] body, int pos, byte[] what) {
        return pos + what.length <= body.length && Arrays.equals(body, pos, pos + what.length, what, 0, what.length);
    }

    private static int indexOf(byte[] body, byte[] what, int from) {
        for (int i = from; i + what.length <= body.length; i++) {
            if (startsWith(body, i, what)) {
                return i;
            }
        }
        return -1;
    }
}
