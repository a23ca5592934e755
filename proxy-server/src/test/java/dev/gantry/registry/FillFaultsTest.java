package dev.gantry.registry;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.gantry.testing.Awaits;
import dev.gantry.oci.Digest;
import dev.gantry.testing.GantryServer;
import dev.gantry.testing.Http;
import dev.gantry.testing.MutableClock;
import dev.gantry.testing.RawClient;
import dev.gantry.testing.ScriptedUpstream;
import dev.gantry.testing.Tools;
import dev.gantry.testing.Trees;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fills under faults: whatever the upstream does, a blob is committed only
 * if it hashes to its digest, and a client never receives a complete body
 * that is wrong.
 */
class FillFaultsTest {

    @TempDir
    Path tmp;

    private GantryServer gantry;
    private WireMockServer wiremock;
    private ScriptedUpstream scripted;

    @AfterEach
    void stop() throws Exception {
        if (gantry != null) {
            gantry.close();
        }
        if (wiremock != null) {
            wiremock.stop();
        }
        if (scripted != null) {
            scripted.close();
        }
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private GantryServer mirror(String url) {
        gantry = GantryServer.mirroring(url, tmp.resolve("data"), MutableClock.startingNow());
        return gantry;
    }

    private boolean stored(Digest d) {
        return gantry.gantry().disk().statNow(d).isPresent();
    }

    private long filesUnder(String dir) throws Exception {
        return Trees.files(tmp.resolve("data").resolve(dir)).size();
    }

    @Test
    void aBodyCutOffBeforeItsLengthIsNeverCommittedAndTheClientSeesItShort() throws Exception {
        byte[] blob = random(2_000_000, 1);
        Digest d = Digest.sha256(blob);
        // The cut comes once the client's response has begun (before it, the client gets the
        // upstream's failure as an error: BlobFillTest.aReaderArrivingAfterTheFillFailed…).
        CompletableFuture<Void> responseBegun = new CompletableFuture<>();
        scripted = new ScriptedUpstream(req -> ScriptedUpstream.Answer.of(200,
                Map.of("Content-Length", Integer.toString(blob.length)), Arrays.copyOf(blob, 700_000), true)
                .closingAfter(responseBegun));
        mirror(scripted.url());

        try (RawClient c = RawClient.get(gantry.hostPort(), "/v2/test/x/blobs/" + d, 0)) {
            assertThat(c.status()).isEqualTo(200);
            responseBegun.complete(null);
            assertThat(c.contentLength()).isEqualTo(blob.length);
            byte[] got = c.readRest(0);
            assertThat(got.length).as("bytes before the cut").isLessThan(blob.length);
            assertThat(got).isEqualTo(Arrays.copyOf(blob, got.length));
        }
        assertThat(stored(d)).isFalse();
        assertThat(filesUnder("blobs")).isZero();
        awaitSpoolEmpty();

        // The upstream recovers: the next request fills and serves the blob.
        scripted.script(req -> ScriptedUpstream.Answer.of(200, Map.of("Content-Length", Integer.toString(blob.length)), blob, false));
        Http.Response ok = new Http(gantry.url()).get("/v2/test/x/blobs/" + d);
        assertThat(ok.status()).isEqualTo(200);
        assertThat(Digest.sha256(ok.body())).isEqualTo(d);
        assertThat(stored(d)).isTrue();
    }

    /**
     * The sequence that left fills in flight for good: blobs whose bytes fail their digest on
     * pooled keep-alive connections, then a body cut off partway on a kept-alive connection. The
     * cut must end the fill at once (not at the read timeout, set long here), every request must
     * end, and a retry once the upstream recovers starts a new fill that succeeds.
     */
    @Test
    void aBodyCutOnAKeptAliveConnectionAfterDigestFailuresEndsTheFill() throws Exception {
        int rounds = 8;
        int liarsPerRound = 3;
        Map<String, byte[]> blobs = new java.util.concurrent.ConcurrentHashMap<>();
        Map<String, Boolean> recovered = new java.util.concurrent.ConcurrentHashMap<>();
        scripted = new ScriptedUpstream(req -> {
            String digest = req.path().substring(req.path().lastIndexOf('/') + 1);
            byte[] blob = blobs.get(digest);
            if (blob == null) {
                return ScriptedUpstream.Answer.of(404, Map.of("Content-Length", "0"), new byte[0], false);
            }
            Map<String, String> head = Map.of("Content-Length", Integer.toString(blob.length));
            if (recovered.containsKey(digest)) {
                return ScriptedUpstream.Answer.of(200, head, blob, false);
            }
            if (req.path().contains("/liar/")) {
                byte[] wrong = blob.clone();
                wrong[wrong.length / 2] ^= 0x55;
                return ScriptedUpstream.Answer.of(200, head, wrong, false); // whole, framed right, kept alive
            }
            // Cut early: the head, a few body bytes and the close reach Gantry together.
            return ScriptedUpstream.Answer.of(200, head, Arrays.copyOf(blob, 1000), true);
        });
        gantry = GantryServer.start("upstreams:\n  - name: docker.io\n    url: " + scripted.url()
                + "\n    default: true\n    readTimeout: 30s\n", tmp.resolve("data"), MutableClock.startingNow());
        java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
        List<Digest> cut = new ArrayList<>();
        for (int round = 0; round < rounds; round++) {
            for (int i = 0; i < liarsPerRound; i++) {
                byte[] blob = random(300_000, 1000 + round * 10 + i);
                Digest d = Digest.sha256(blob);
                blobs.put(d.toString(), blob);
                byte[] got = boundedGet(client, "/v2/test/liar/blobs/" + d);
                assertThat(got == null || got.length < blob.length).as("a wrong blob is never delivered whole").isTrue();
            }
            byte[] blob = random(2_000_000, 2000 + round);
            Digest d = Digest.sha256(blob);
            blobs.put(d.toString(), blob);
            cut.add(d);
            byte[] got = boundedGet(client, "/v2/test/cut/blobs/" + d);
            assertThat(got == null || got.length < blob.length).as("a cut blob is never delivered whole").isTrue();
            awaitNoFillInFlight(Duration.ofSeconds(10));
        }
        assertThat(scripted.connections()).as("the liars' connections are closed, not reused")
                .isGreaterThanOrEqualTo(rounds * (liarsPerRound + 1));

        // The upstream recovers: each request starts a new fill, which commits.
        cut.forEach(d -> recovered.put(d.toString(), Boolean.TRUE));
        for (Digest d : cut) {
            Http.Response ok = http().get("/v2/test/cut/blobs/" + d);
            assertThat(ok.status()).isEqualTo(200);
            assertThat(Digest.sha256(ok.body())).isEqualTo(d);
            assertThat(stored(d)).isTrue();
        }
        awaitNoFillInFlight(Duration.ofSeconds(10));
        assertThat(http().get("/metrics").text()).contains("gantry_fills_in_flight 0.0");
    }

    @Test
    void aRequestThatJoinedAFillThatFailsGetsAnOciErrorNotAServerError() throws Exception {
        byte[] blob = random(100_000, 8);
        Digest d = Digest.sha256(blob);
        CompletableFuture<Void> gate = new CompletableFuture<>();
        scripted = new ScriptedUpstream(req -> {
            if (req.method().equals("HEAD")) {
                return ScriptedUpstream.Answer.of(200, Map.of("Content-Length", Integer.toString(blob.length)), new byte[0], false);
            }
            gate.join(); // the fill waits here until the second request has joined it
            byte[] json = "{\"errors\":[{\"code\":\"X\",\"message\":\"down\"}]}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            return ScriptedUpstream.Answer.of(500, Map.of("Content-Length", Integer.toString(json.length)), json, false);
        });
        mirror(scripted.url());
        CompletableFuture<Http.Response> starter = CompletableFuture.supplyAsync(() -> http().get("/v2/test/x/blobs/" + d));
        awaitCondition(() -> gantry.gantry().registry().fillsInFlight() == 1);
        CompletableFuture<Http.Response> joiner = CompletableFuture.supplyAsync(() -> http().get("/v2/test/x/blobs/" + d));
        awaitCondition(() -> gantry.gantry().metrics().value("gantry_upstream_requests_total", "docker.io", "blob_head", "200") >= 1);
        gate.complete(null);

        for (Http.Response r : List.of(starter.get(10, java.util.concurrent.TimeUnit.SECONDS),
                joiner.get(10, java.util.concurrent.TimeUnit.SECONDS))) {
            assertThat(r.status()).isEqualTo(503);
            assertThat(r.text()).contains("UNAVAILABLE").contains("HTTP 500");
        }
        awaitNoFillInFlight(Duration.ofSeconds(10));
    }

    private static void awaitCondition(java.util.function.BooleanSupplier condition) {
        Awaits.until(condition, Duration.ofSeconds(10), "condition");
    }

    /** GETs a blob within 10 s; the body as far as it came, or null for an error status. */
    private byte[] boundedGet(java.net.http.HttpClient client, String path) throws Exception {
        var request = java.net.http.HttpRequest.newBuilder(java.net.URI.create(gantry.url() + path)).build();
        var response = client.sendAsync(request, java.net.http.HttpResponse.BodyHandlers.ofByteArray())
                .handle((r, e) -> r == null ? new byte[0] : r.statusCode() == 200 ? r.body() : null)
                .get(10, java.util.concurrent.TimeUnit.SECONDS); // a hung request fails the test here
        return response;
    }

    private void awaitNoFillInFlight(Duration bound) {
        Awaits.until(() -> gantry.gantry().registry().fillsInFlight() == 0, bound, "no fill in flight");
    }

    @Test
    void aStoredBlobWhoseFileWentMissingIsFetchedAgainNotAnError() throws Exception {
        byte[] blob = random(6_000_000, 7); // over the memory tier's 4 MiB: only the disk holds it
        Digest d = Digest.sha256(blob);
        scripted = new ScriptedUpstream(req -> ScriptedUpstream.Answer.of(200,
                Map.of("Content-Length", Integer.toString(blob.length)), blob, false));
        mirror(scripted.url());
        Http http = new Http(gantry.url());
        assertThat(Digest.sha256(http.get("/v2/test/x/blobs/" + d).body())).isEqualTo(d);
        assertThat(stored(d)).isTrue();

        // An operator (or a full disk's cleanup) removes the file under the store's index.
        Files.delete(gantry.gantry().disk().pathOf(d));

        Http.Response again = http.get("/v2/test/x/blobs/" + d);
        assertThat(again.status()).isEqualTo(200);
        assertThat(Digest.sha256(again.body())).isEqualTo(d);
        assertThat(scripted.requests().stream().filter(r -> r.method().equals("GET") && r.path().endsWith(d.toString())))
                .as("upstream fetches of the blob").hasSize(2);
        assertThat(stored(d)).isTrue();
        assertThat(Files.exists(gantry.gantry().disk().pathOf(d))).isTrue();
    }

    @Test
    void aCorruptBodyIsNeverCommittedAndNeverDeliveredWhole() throws Exception {
        byte[] blob = random(1_500_000, 2);
        Digest d = Digest.sha256(blob);
        byte[] corrupt = blob.clone();
        corrupt[corrupt.length / 2] ^= 0x55;
        wiremock = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        wiremock.start();
        wiremock.stubFor(get(urlPathEqualTo("/v2/test/x/blobs/" + d)).willReturn(aResponse()
                .withHeader("Content-Length", Integer.toString(corrupt.length)).withBody(corrupt)));
        mirror(wiremock.baseUrl());

        try (RawClient c = RawClient.get(gantry.hostPort(), "/v2/test/x/blobs/" + d, 0)) {
            assertThat(c.status()).isEqualTo(200);
            byte[] got = c.readRest(0);
            assertThat(got.length).as("a wrong blob must not arrive whole").isLessThan(blob.length);
        }
        assertThat(stored(d)).isFalse();
        assertThat(filesUnder("blobs")).isZero();
        assertThat(http().get("/healthz").status()).isEqualTo(200);
    }

    @Test
    void aCorruptBodyOfUnknownLengthIsAnErrorBeforeAnyByte() throws Exception {
        byte[] blob = random(1_500_000, 5);
        Digest d = Digest.sha256(blob);
        byte[] corrupt = blob.clone();
        corrupt[0] ^= 0x55;
        wiremock = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        wiremock.start();
        // Chunked: the size is known only at the end, so nothing is sent before the digest is checked.
        wiremock.stubFor(get(urlPathEqualTo("/v2/test/x/blobs/" + d)).willReturn(aResponse()
                .withHeader("Transfer-Encoding", "chunked").withBody(corrupt)));
        mirror(wiremock.baseUrl());

        Http.Response r = http().get("/v2/test/x/blobs/" + d);
        assertThat(r.status()).isEqualTo(502);
        assertThat(r.text()).contains("UNAVAILABLE").contains("does not match its digest");
        assertThat(stored(d)).isFalse();
    }

    /**
     * The soak's "closed before a status line": the upstream sends its 200 head and closes before
     * any body byte. The response head waits for the fill's first readable byte, so the client
     * gets the same OCI error as any client of a fill that failed, not a 200 head cut off.
     */
    @Test
    void aBodyCutOffBeforeItsFirstByteIsAnOciErrorNotAClosedConnection() throws Exception {
        byte[] blob = random(500_000, 11);
        Digest d = Digest.sha256(blob);
        scripted = new ScriptedUpstream(req -> ScriptedUpstream.Answer.of(200,
                Map.of("Content-Length", Integer.toString(blob.length)), new byte[0], true));
        mirror(scripted.url());

        Http.Response r = http().get("/v2/test/x/blobs/" + d);
        assertThat(r.status()).isEqualTo(503);
        assertThat(r.header("Retry-After")).isEqualTo("5");
        assertThat(r.text()).contains("\"code\":\"UNAVAILABLE\"").contains("blob " + d);
        assertThat(stored(d)).isFalse();
        awaitNoFillInFlight(Duration.ofSeconds(10));
        awaitSpoolEmpty();
    }

    /**
     * A blob of one byte: nothing of it is released before verification (the last byte never is),
     * so a wrong byte is known before the response head and the client gets 502, not a cut 200.
     */
    @Test
    void aWrongBodyKnownBeforeItsFirstByteIsReleasedIsAnOciError() throws Exception {
        byte[] blob = {42};
        Digest d = Digest.sha256(blob);
        scripted = new ScriptedUpstream(req -> ScriptedUpstream.Answer.of(200,
                Map.of("Content-Length", "1"), new byte[] {43}, false));
        mirror(scripted.url());

        Http.Response r = http().get("/v2/test/x/blobs/" + d);
        assertThat(r.status()).isEqualTo(502);
        assertThat(r.text()).contains("\"code\":\"UNAVAILABLE\"").contains("does not match its digest");
        assertThat(stored(d)).isFalse();
        awaitNoFillInFlight(Duration.ofSeconds(10));
    }

    @Test
    void aFillOutlivesTheClientThatStartedIt() throws Exception {
        byte[] blob = random(3_000_000, 3);
        Digest d = Digest.sha256(blob);
        wiremock = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        wiremock.start();
        wiremock.stubFor(get(urlPathEqualTo("/v2/test/x/blobs/" + d))
                .willReturn(aResponse().withBody(blob).withChunkedDribbleDelay(30, 1500)));
        mirror(wiremock.baseUrl());

        try (RawClient c = RawClient.get(gantry.hostPort(), "/v2/test/x/blobs/" + d, 0)) {
            assertThat(c.status()).isEqualTo(200);
            c.read(10);
        }
        Awaits.until(() -> stored(d), Duration.ofSeconds(20), "committed after its client left");
        assertThat(Digest.sha256(http().get("/v2/test/x/blobs/" + d).body())).isEqualTo(d);
        wiremock.verify(1, getRequestedFor(urlPathEqualTo("/v2/test/x/blobs/" + d)));
    }

    @Test
    void aStalledClientDoesNotSlowAnotherClientOfTheSameFill() throws Exception {
        byte[] blob = random(16_000_000, 4);
        Digest d = Digest.sha256(blob);
        wiremock = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        wiremock.start();
        wiremock.stubFor(get(urlPathEqualTo("/v2/test/x/blobs/" + d))
                .willReturn(aResponse().withBody(blob).withChunkedDribbleDelay(20, 400)));
        mirror(wiremock.baseUrl());

        try (RawClient stalled = RawClient.get(gantry.hostPort(), "/v2/test/x/blobs/" + d, 4096)) {
            byte[] first = stalled.read(1);
            Http.Response fast = http().get("/v2/test/x/blobs/" + d);
            assertThat(Digest.sha256(fast.body())).isEqualTo(d);
            assertThat(stored(d)).isTrue();
            // Only now does the stalled client read on, and it gets every byte.
            byte[] rest = stalled.readRest(1);
            byte[] all = new byte[first.length + rest.length];
            System.arraycopy(first, 0, all, 0, first.length);
            System.arraycopy(rest, 0, all, first.length, rest.length);
            assertThat(Digest.sha256(all)).isEqualTo(d);
        }
        wiremock.verify(1, getRequestedFor(urlPathEqualTo("/v2/test/x/blobs/" + d)));
    }

    @Test
    void anUnreachableUpstreamIsUnavailableNotAServerError() throws Exception {
        mirror("http://127.0.0.1:" + Tools.freePort());
        Http.Response r = http().get("/v2/test/x/blobs/sha256:" + "a".repeat(64));
        assertThat(r.status()).isEqualTo(503);
        assertThat(r.text()).contains("UNAVAILABLE").contains("unreachable");
        assertThat(r.header("Retry-After")).isNotNull();
    }

    private Http http() {
        return new Http(gantry.url());
    }

    private void awaitSpoolEmpty() {
        Awaits.until(() -> {
            try {
                return filesUnder("spool") == 0;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, Duration.ofSeconds(5), "no spool file left behind");
    }
}
