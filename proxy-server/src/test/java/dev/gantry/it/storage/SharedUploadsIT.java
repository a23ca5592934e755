package dev.gantry.it.storage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.oci.Digest;
import dev.gantry.testing.Awaits;
import dev.gantry.testing.Fleet;
import dev.gantry.testing.GantryServer;
import dev.gantry.testing.Http;
import dev.gantry.testing.MutableClock;
import dev.gantry.testing.RawClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two replicas on one S3 bucket, no affinity: each request of a chunked push
 * may reach either, since upload sessions live in the bucket.
 */
class SharedUploadsIT {

    private static final String AUTH = "Basic " + Base64.getEncoder().encodeToString("alice:pw".getBytes(StandardCharsets.UTF_8));

    @TempDir
    static Path tmp;

    static Fleet<GantryServer> fleet;
    static GantryServer a;
    static GantryServer b;

    @BeforeAll
    static void start() {
        fleet = Fleet.inProcess(tmp).hosted("local/").users(Map.of("alice", "pw")).sharedTokenKey().bucketPrefix("fleet/")
                .start("a", "b");
        a = fleet.replica(0);
        b = fleet.replica(1);
    }

    @AfterAll
    static void stop() {
        fleet.close();
    }

    @Test
    void aChunkedPushSpreadOverBothReplicasIsCommittedVerifiedAndPulledFromEither() {
        byte[] blob = new byte[3_000_000];
        new Random(16).nextBytes(blob);
        Digest digest = Digest.sha256(blob);
        Http onA = new Http(a.url());
        Http onB = new Http(b.url());

        Http.Response started = onA.send("POST", "/v2/local/spread/blobs/uploads/", "Authorization", AUTH);
        assertThat(started.status()).isEqualTo(202);
        String location = started.header("Location");
        int[] cuts = {0, 1_000_000, 1_700_000, 3_000_000};
        for (int i = 0; i + 1 < cuts.length; i++) {
            Http via = i % 2 == 0 ? onA : onB;
            Http.Response patched = via.send("PATCH", location, Arrays.copyOfRange(blob, cuts[i], cuts[i + 1]), "Authorization", AUTH,
                    "Content-Type", "application/octet-stream", "Content-Range", cuts[i] + "-" + (cuts[i + 1] - 1));
            assertThat(patched.status()).as("chunk %d: %s", i, patched.text()).isEqualTo(202);
            assertThat(patched.header("Range")).isEqualTo("0-" + (cuts[i + 1] - 1));
            Http other = via == onA ? onB : onA;
            assertThat(other.get(location, "Authorization", AUTH).header("Range"))
                    .as("the other replica sees the session where it stands").isEqualTo("0-" + (cuts[i + 1] - 1));
        }

        long putStart = System.nanoTime();
        Http.Response done = onB.send("PUT", withDigest(location, digest), new byte[0], "Authorization", AUTH);
        Duration put = Duration.ofNanos(System.nanoTime() - putStart);
        assertThat(done.status()).as(done.text()).isEqualTo(201);
        // Reading 3 MB back from the bucket and committing it took 1.8 s on a loaded 2-core machine, and
        // once over 5 s at load 11; the bound stays under the 10 s that S3Proxy (jclouds) spent, on every
        // completion, retrying the delete of a listed directory that still held chunks: a slow machine
        // stays under it (up to 9.5 s), that stall does not.
        assertThat(put).as("the completing PUT answers without waiting out a timeout").isLessThan(Duration.ofMillis(9500));

        Http.Response pulled = Awaits.until(() -> onA.get("/v2/local/spread/blobs/" + digest, "Authorization", AUTH),
                r -> r.status() == 200, Duration.ofSeconds(30));
        assertThat(Digest.sha256(pulled.body())).isEqualTo(digest);
        assertThat(onB.get(location, "Authorization", AUTH).status()).as("the session is over").isEqualTo(404);
        String id = location.substring(location.lastIndexOf('/') + 1).replaceAll("\\?.*", "");
        assertThat(sessionObjects(id)).as("the bucket keeps nothing of the session").isZero();
    }

    @Test
    void aPushWhoseBytesDoNotMatchItsDigestIsRefusedAndNothingIsCommitted() {
        byte[] blob = "not what the digest says".getBytes(StandardCharsets.UTF_8);
        Digest claimed = Digest.sha256("something else".getBytes(StandardCharsets.UTF_8));
        Http onA = new Http(a.url());
        Http onB = new Http(b.url());
        String location = onB.send("POST", "/v2/local/liar/blobs/uploads/", "Authorization", AUTH).header("Location");
        assertThat(onB.send("PATCH", location, blob, "Authorization", AUTH).status()).isEqualTo(202);

        Http.Response done = onA.send("PUT", withDigest(location, claimed), new byte[0], "Authorization", AUTH);

        assertThat(done.status()).isEqualTo(400);
        assertThat(done.text()).contains("DIGEST_INVALID");
        assertThat(onA.head("/v2/local/liar/blobs/" + claimed, "Authorization", AUTH).status()).isEqualTo(404);
        assertThat(onB.head("/v2/local/liar/blobs/" + claimed, "Authorization", AUTH).status()).isEqualTo(404);
        assertThat(onA.get(location, "Authorization", AUTH).status()).as("the session is discarded").isEqualTo(404);
    }

    @Test
    void aCompletingPutTheBucketRefusesKeepsTheSessionSoThatTheClientsRetryOfThatPutCompletesIt() throws Exception {
        byte[] blob = new byte[1_500_000];
        new Random(23).nextBytes(blob);
        Digest digest = Digest.sha256(blob);
        Http onA = new Http(a.url());
        Http onB = new Http(b.url());
        String location = onA.send("POST", "/v2/local/retried/blobs/uploads/", "Authorization", AUTH).header("Location");
        assertThat(onA.send("PATCH", location, Arrays.copyOf(blob, 1_000_000), "Authorization", AUTH,
                "Content-Range", "0-999999").status()).isEqualTo(202);
        // The bucket cannot store this blob: a directory that holds a file sits where its object goes.
        Path blocker = fleet.s3().objectFile(Fleet.BUCKET, "fleet/blobs/sha256/" + digest.hex());
        Files.createDirectories(blocker);
        Files.writeString(blocker.resolve("in-the-way"), "x");
        byte[] last = Arrays.copyOfRange(blob, 1_000_000, blob.length);

        Http.Response refused = onB.send("PUT", withDigest(location, digest), last, "Authorization", AUTH,
                "Content-Range", "1000000-" + (blob.length - 1));

        assertThat(refused.status()).as(refused.text()).isEqualTo(503);
        assertThat(refused.text()).contains("UNAVAILABLE");
        assertThat(onA.get(location, "Authorization", AUTH).header("Range"))
                .as("the session is kept as it stood before the PUT").isEqualTo("0-999999");

        Files.delete(blocker.resolve("in-the-way"));
        Files.delete(blocker);
        // The client's retry: the same PUT with the same last chunk, to whichever replica the balancer picks,
        // again while the bucket's health recovers (503 with Retry-After meanwhile).
        Http.Response done = Awaits.until(() -> onA.send("PUT", withDigest(location, digest), last, "Authorization", AUTH,
                "Content-Range", "1000000-" + (blob.length - 1)), r -> r.status() != 503, Duration.ofSeconds(60));
        assertThat(done.status()).as(done.text()).isEqualTo(201);
        for (Http via : new Http[] {onA, onB}) {
            Http.Response pulled = Awaits.until(() -> via.get("/v2/local/retried/blobs/" + digest, "Authorization", AUTH),
                    r -> r.status() == 200, Duration.ofSeconds(30));
            assertThat(Digest.sha256(pulled.body())).isEqualTo(digest);
        }
        String id = location.substring(location.lastIndexOf('/') + 1).replaceAll("\\?.*", "");
        assertThat(onB.get(location, "Authorization", AUTH).status()).as("the session is over").isEqualTo(404);
        assertThat(sessionObjects(id)).as("the bucket keeps nothing of the session").isZero();
    }

    @Test
    void aPatchToASessionNoReplicaKnowsIsRefusedAfterItsBodyOnAConnectionThatStaysUsable() {
        int size = 2_000_000;
        try (RawClient c = RawClient.connect(b.hostPort())) {
            c.write("PATCH /v2/local/app/blobs/uploads/" + UUID.randomUUID() + " HTTP/1.1\r\nHost: x\r\nAuthorization: " + AUTH
                    + "\r\nContent-Type: application/octet-stream\r\nContent-Length: " + size + "\r\n\r\n");
            String piece = "x".repeat(100_000);
            for (int sent = 0; sent < size; sent += piece.length()) {
                c.write(piece); // a reset mid-body would fail this write
            }
            c.awaitResponseHead();
            assertThat(c.status()).isEqualTo(404);
            assertThat(new String(c.read((int) c.contentLength()), StandardCharsets.UTF_8)).contains("BLOB_UPLOAD_UNKNOWN");

            c.write("GET /v2/ HTTP/1.1\r\nHost: x\r\nAuthorization: " + AUTH + "\r\n\r\n").awaitResponseHead();
            assertThat(c.status()).as("the same connection serves the next request").isEqualTo(200);
        }
    }

    @Test
    void aSessionIdleLongerThanTheExpiryIsDeletedFromTheBucketByAnyReplica() {
        Http onA = new Http(a.url());
        String location = onA.send("POST", "/v2/local/idle/blobs/uploads/", "Authorization", AUTH).header("Location");
        assertThat(onA.send("PATCH", location, new byte[1000], "Authorization", AUTH).status()).isEqualTo(202);
        String id = location.substring(location.lastIndexOf('/') + 1).replaceAll("\\?.*", "");
        assertThat(sessionObjects(id)).as("state and one chunk").isEqualTo(2);

        MutableClock clock = MutableClock.startingNow();
        try (GantryServer later = GantryServer.start(fleet.config("later"), tmp.resolve("later"), clock)) {
            assertThat(later.gantry().registry().expireUploads()).as("not idle yet").isZero();
            clock.advance(Duration.ofHours(2)); // uploadExpiry is 1h by default
            assertThat(later.gantry().registry().expireUploads()).isPositive();
        }
        assertThat(sessionObjects(id)).isZero();
        assertThat(onA.get(location, "Authorization", AUTH).status()).isEqualTo(404);
    }

    @Test
    void aChunkStillArrivingKeepsItsSessionLeasedByTheReplicaReceivingIt() {
        Http onA = new Http(a.url());
        String location = onA.send("POST", "/v2/local/slow/blobs/uploads/", "Authorization", AUTH).header("Location");
        String id = location.substring(location.lastIndexOf('/') + 1).replaceAll("\\?.*", "");
        String path = location.replaceFirst("^https?://[^/]+", "");
        int size = 200_000;
        try (RawClient c = RawClient.connect(a.hostPort())) {
            c.write("PATCH " + path + " HTTP/1.1\r\nHost: x\r\nAuthorization: " + AUTH
                    + "\r\nContent-Type: application/octet-stream\r\nContent-Length: " + size + "\r\n\r\n");
            c.write("x".repeat(size / 2));
            // The receiving replica's sweep renews the session's lease, which every replica's sweep counts as a write.
            Awaits.until(() -> {
                a.gantry().registry().expireUploads();
                return fleet.keys("fleet/uploads/" + id + "/").contains("fleet/uploads/" + id + "/lease");
            }, Duration.ofSeconds(20), "the session leased while its chunk arrives");
            assertThat(b.gantry().registry().expireUploads()).as("another replica's sweep, the session not idle").isZero();
            c.write("x".repeat(size / 2)).awaitResponseHead();
            assertThat(c.status()).isEqualTo(202);
        }
        assertThat(onA.get(location, "Authorization", AUTH).header("Range")).isEqualTo("0-" + (size - 1));
    }

    @Test
    void aPutWhoseSessionLostAChunkIsRefusedAsInvalidAndTheSessionIsDiscarded() throws Exception {
        byte[] blob = new byte[4000];
        new Random(31).nextBytes(blob);
        Digest digest = Digest.sha256(blob);
        Http onA = new Http(a.url());
        Http onB = new Http(b.url());
        String location = onA.send("POST", "/v2/local/broken/blobs/uploads/", "Authorization", AUTH).header("Location");
        String id = location.substring(location.lastIndexOf('/') + 1).replaceAll("\\?.*", "");
        assertThat(onA.send("PATCH", location, Arrays.copyOf(blob, 1000), "Authorization", AUTH,
                "Content-Range", "0-999").status()).isEqualTo(202);
        assertThat(onB.send("PATCH", location, Arrays.copyOfRange(blob, 1000, 2500), "Authorization", AUTH,
                "Content-Range", "1000-2499").status()).isEqualTo(202);
        // The chunk at 1000 is gone (the session deleted under a request that still wrote to it, then written again).
        Files.delete(fleet.s3().objectFile(Fleet.BUCKET, "fleet/uploads/" + id + "/chunks/" + "%020d".formatted(1000)));

        Http.Response refused = onB.send("PUT", withDigest(location, digest), Arrays.copyOfRange(blob, 2500, blob.length),
                "Authorization", AUTH, "Content-Range", "2500-" + (blob.length - 1));

        assertThat(refused.status()).as(refused.text()).isEqualTo(400);
        assertThat(refused.text()).contains("BLOB_UPLOAD_INVALID").contains("start the upload again");
        assertThat(onA.get(location, "Authorization", AUTH).status()).as("the session is discarded").isEqualTo(404);
        assertThat(sessionObjects(id)).isZero();
        assertThat(onA.head("/v2/local/broken/blobs/" + digest, "Authorization", AUTH).status()).isEqualTo(404);
    }

    private static String withDigest(String location, Digest digest) {
        return location + (location.contains("?") ? "&" : "?") + "digest=" + digest;
    }

    private static int sessionObjects(String id) {
        // S3Proxy's filesystem backend also lists its directories ("…/"): not objects.
        return (int) fleet.keys("fleet/uploads/" + id).stream().filter(k -> !k.endsWith("/")).count();
    }
}
