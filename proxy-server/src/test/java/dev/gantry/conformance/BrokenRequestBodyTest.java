package dev.gantry.conformance;

import static dev.gantry.conformance.ConformanceSteps.blobPath;
import static dev.gantry.conformance.ConformanceSteps.uploadsPath;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.conformance.ConformanceClient.Response;
import dev.gantry.testing.Awaits;
import dev.gantry.testing.RawClient;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Upload bodies that never arrive whole, written by hand on a socket: a
 * connection that closes mid-body, chunked framing that breaks, a DELETE of
 * the session while a PATCH is still writing it. Each ends its request with
 * an OCI error (never a 500, never a request left open) and leaves the
 * session usable, holding what arrived whole, from where the client resumes.
 */
class BrokenRequestBodyTest {

    @TempDir
    static Path tmp;

    static HostedGantry gantry;
    static ConformanceClient client;
    static final AtomicInteger repos = new AtomicInteger();

    @BeforeAll
    static void start() {
        gantry = HostedGantry.start(tmp);
        client = gantry.client();
    }

    @AfterAll
    static void stop() {
        gantry.close();
    }

    private static String session() {
        Response post = client.request("POST", uploadsPath("local/broken-" + repos.incrementAndGet())).send();
        assertThat(post.status()).as(post.describe()).isEqualTo(202);
        return post.relativeLocation();
    }

    private static RawClient connect(HostedGantry server) {
        return RawClient.connect("127.0.0.1:" + URI.create(server.url()).getPort());
    }

    private static String patchHead(HostedGantry server, String location, String framing) {
        return "PATCH " + location + " HTTP/1.1\r\nHost: x\r\nAuthorization: " + server.basicAuthorization()
                + "\r\nContent-Type: application/octet-stream\r\n" + framing + "\r\n";
    }

    /**
     * The session holds {@code held} (what arrived of the broken body, as a resumable upload keeps it): a 3-byte
     * chunk where it stands, then the PUT that completes the blob: the session works.
     */
    private static void resume(String location, String held) throws NoSuchAlgorithmException {
        byte[] chunk = "abc".getBytes(StandardCharsets.US_ASCII);
        Response patch = client.request("PATCH", location).header("Content-Type", "application/octet-stream")
                .header("Content-Range", held.length() + "-" + (held.length() + 2)).body(chunk).send();
        assertThat(patch.status()).as(patch.describe()).isEqualTo(202);
        byte[] blob = (held + "abc").getBytes(StandardCharsets.US_ASCII);
        String digest = "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(blob));
        Response put = client.request("PUT", patch.relativeLocation()).query("digest", digest).send();
        assertThat(put.status()).as(put.describe()).isEqualTo(201);
        String repo = location.substring("/v2/".length(), location.indexOf("/blobs/uploads/"));
        assertThat(client.request("GET", blobPath(repo, digest)).send().body()).isEqualTo(blob);
    }

    @Test
    void aPatchWhoseConnectionClosesMidBodyReleasesTheSessionWithWhatArrived() throws Exception {
        String location = session();
        try (RawClient c = connect(gantry)) {
            c.write(patchHead(gantry, location, "Content-Length: 1000\r\n") + "0123456789");
            awaitBusy(location); // then leave mid-body
        }
        // Once the server notices the close, the session is released, holding the 10 bytes that arrived.
        Awaits.until(() -> patchable(location), Duration.ofSeconds(20), "the session released");
        Response status = client.request("GET", location).send();
        assertThat(status.status()).as(status.describe()).isEqualTo(204);
        assertThat(status.header("Range")).as("what the session holds").isEqualTo("0-9");
        resume(location, "0123456789");
    }

    /**
     * Waits until a PATCH is writing the session: a probe chunk far beyond its end is refused either way (416),
     * as busy only while another request writes it. The probe never adds a byte.
     */
    private static void awaitBusy(String location) {
        Awaits.until(() -> client.request("PATCH", location).header("Content-Type", "application/octet-stream")
                        .header("Content-Range", "999999-999999").body(new byte[1]).send(),
                r -> r.status() == 416 && r.text().contains("another request is writing"), Duration.ofSeconds(20));
    }

    /** Whether a PATCH of nothing is taken now (not refused as busy). */
    private static boolean patchable(String location) {
        return client.request("PATCH", location).header("Content-Type", "application/octet-stream").body(new byte[0]).send()
                .status() == 202;
    }

    @Test
    void aChunkedPatchWhoseFramingBreaksIs400AndKeepsOnlyTheChunksBeforeTheBreak() throws Exception {
        String location = session();
        try (RawClient c = connect(gantry)) {
            c.write(patchHead(gantry, location, "Transfer-Encoding: chunked\r\n") + "5\r\nhello\r\nZZ\r\n").awaitResponseHead();
            assertThat(c.status()).as("answer to a chunked body whose framing breaks").isEqualTo(400);
            assertThat(c.header("Connection")).isEqualTo("close");
            assertThat(c.awaitClosedByServer()).as("closed after the answer").isTrue();
        }
        Response status = client.request("GET", location).send();
        assertThat(status.status()).as(status.describe()).isEqualTo(204);
        assertThat(status.header("Range")).as("what the session holds: the whole chunk before the break").isEqualTo("0-4");
        resume(location, "hello");
    }

    @Test
    void aPatchWhoseBodyStopsArrivingIs408AfterTheIdleTimeoutAndFreesTheSession() throws Exception {
        try (HostedGantry quick = HostedGantry.start(tmp.resolve("idle"), "", "", "server:\n  idleTimeout: 2s\n")) {
            ConformanceClient c = quick.client();
            Response post = c.request("POST", uploadsPath("local/stalled")).send();
            assertThat(post.status()).as(post.describe()).isEqualTo(202);
            String location = post.relativeLocation();
            try (RawClient raw = connect(quick)) {
                // Then nothing: after 2 s without a byte either way, the server answers and closes.
                raw.write(patchHead(quick, location, "Content-Length: 1000\r\n") + "0123456789").awaitResponseHead();
                assertThat(raw.status()).as("answer to a body that stopped arriving").isEqualTo(408);
                assertThat(raw.header("Connection")).isEqualTo("close");
                assertThat(raw.awaitClosedByServer()).as("closed after the answer").isTrue();
            }
            Response status = c.request("GET", location).send();
            assertThat(status.status()).as(status.describe()).isEqualTo(204);
            assertThat(status.header("Range")).as("what the session holds").isEqualTo("0-9");
            Response patch = c.request("PATCH", location).header("Content-Type", "application/octet-stream")
                    .header("Content-Range", "10-12").body("abc".getBytes(StandardCharsets.US_ASCII)).send();
            assertThat(patch.status()).as("the session, free again: " + patch.describe()).isEqualTo(202);
        }
    }

    @Test
    void aDeleteWhileAPatchWritesTheSessionIs416AndTheSessionGoesOnceThePatchEnds() throws Exception {
        String location = session();
        try (RawClient c = connect(gantry)) {
            c.write(patchHead(gantry, location, "Content-Length: 1000\r\n") + "0123456789");
            awaitBusy(location);
            Response delete = client.request("DELETE", location).send();
            assertThat(delete.status()).as(delete.describe()).isEqualTo(416);
            // The PATCH is unharmed by the refused DELETE: the rest of its body completes it.
            c.write("x".repeat(990)).awaitResponseHead();
            assertThat(c.status()).as("the PATCH's answer").isEqualTo(202);
            assertThat(c.header("Range")).isEqualTo("0-999");
        }
        Response delete = client.request("DELETE", location).send();
        assertThat(delete.status()).as(delete.describe()).isEqualTo(204);
        assertThat(client.request("GET", location).send().status()).isEqualTo(404);
    }
}
