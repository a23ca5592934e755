package dev.gantry.registry;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.gantry.oci.Digest;
import dev.gantry.testing.GantryServer;
import dev.gantry.testing.Http;
import dev.gantry.testing.MutableClock;
import dev.gantry.testing.RawClient;
import dev.gantry.testing.ScriptedUpstream;
import dev.gantry.testing.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
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
        Path p = tmp.resolve("data").resolve(dir);
        if (!Files.exists(p)) {
            return 0;
        }
        try (Stream<Path> s = Files.walk(p)) {
            return s.filter(Files::isRegularFile).count();
        }
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
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (!stored(d) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(stored(d)).as("committed after its client left").isTrue();
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

    private void awaitSpoolEmpty() throws Exception {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (filesUnder("spool") > 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(filesUnder("spool")).as("spool files left behind").isZero();
    }
}
