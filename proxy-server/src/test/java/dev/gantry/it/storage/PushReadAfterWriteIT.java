package dev.gantry.it.storage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.oci.Digest;
import dev.gantry.testing.Fleet;
import dev.gantry.testing.GantryServer;
import dev.gantry.testing.Http;
import dev.gantry.testing.S3ProxyServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Read-after-write across two replicas on one S3Proxy bucket: once a push
 * was answered with success by one replica, the other serves it with no
 * wait (no polling here: each read follows the acknowledged write at once),
 * and a push whose bucket write fails is refused, not acknowledged.
 */
class PushReadAfterWriteIT {

    private static final String AUTH = "Basic " + Base64.getEncoder().encodeToString("alice:pw".getBytes(StandardCharsets.UTF_8));
    private static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

    @TempDir
    static Path tmp;

    static Fleet<GantryServer> fleet;
    static GantryServer a;
    static GantryServer b;

    @BeforeAll
    static void start() {
        fleet = fleet(tmp).start("a", "b");
        a = fleet.replica(0);
        b = fleet.replica(1);
    }

    /** Replicas hosting {@code local/} for alice, with one token key, on a bucket of their own under {@code dir}. */
    static Fleet.Builder<GantryServer> fleet(Path dir) {
        return Fleet.inProcess(dir).hosted("local/").users(Map.of("alice", "pw")).sharedTokenKey().bucketPrefix("fleet/");
    }

    @AfterAll
    static void stop() {
        fleet.close();
    }

    @Test
    void aChunkedPushCompletedOnOneReplicaIsServedByTheOtherAtOnce() {
        byte[] blob = bytes(2_500_000, 1);
        Digest digest = Digest.sha256(blob);
        Http onA = new Http(a.url());
        Http onB = new Http(b.url());
        String location = onA.send("POST", "/v2/local/chunked/blobs/uploads/", "Authorization", AUTH).header("Location");
        assertThat(onA.send("PATCH", location, Arrays.copyOfRange(blob, 0, 1_200_000), "Authorization", AUTH,
                "Content-Range", "0-1199999").status()).isEqualTo(202);
        assertThat(onA.send("PATCH", location, Arrays.copyOfRange(blob, 1_200_000, blob.length), "Authorization", AUTH,
                "Content-Range", "1200000-" + (blob.length - 1)).status()).isEqualTo(202);

        Http.Response done = onB.send("PUT", withDigest(location, digest), new byte[0], "Authorization", AUTH);
        assertThat(done.status()).as(done.text()).isEqualTo(201);

        Http.Response head = onA.head("/v2/local/chunked/blobs/" + digest, "Authorization", AUTH);
        assertThat(head.status()).as("HEAD on the replica that did not complete it").isEqualTo(200);
        assertThat(head.header("Content-Length")).isEqualTo(String.valueOf(blob.length));
        Http.Response got = onA.get("/v2/local/chunked/blobs/" + digest, "Authorization", AUTH);
        assertThat(got.status()).isEqualTo(200);
        assertThat(got.body()).isEqualTo(blob);
    }

    @Test
    void aMonolithicPushOnOneReplicaIsServedByTheOtherAtOnce() {
        byte[] blob = bytes(300_000, 2);
        Digest digest = push(new Http(a.url()), "local/mono", blob);

        Http.Response got = new Http(b.url()).get("/v2/local/mono/blobs/" + digest, "Authorization", AUTH);
        assertThat(got.status()).isEqualTo(200);
        assertThat(got.body()).isEqualTo(blob);
    }

    @Test
    void aManifestPushedOnOneReplicaOverBlobsPushedThroughTheOtherIsPulledByTagThereAtOnce() {
        Http onA = new Http(a.url());
        Http onB = new Http(b.url());
        assertThat(onB.get("/v2/local/app/manifests/v1", "Authorization", AUTH, "Accept", OCI_MANIFEST).status())
                .as("asked for before it exists: a miss must not be remembered").isEqualTo(404);
        byte[] config = "{\"architecture\":\"amd64\",\"os\":\"linux\"}".getBytes(StandardCharsets.UTF_8);
        byte[] layer = bytes(200_000, 3);
        Digest configDigest = push(onB, "local/app", config);
        Digest layerDigest = push(onB, "local/app", layer);
        byte[] manifest = manifest(configDigest, config.length, layerDigest, layer.length);

        Http.Response put = onA.send("PUT", "/v2/local/app/manifests/v1", manifest, "Authorization", AUTH, "Content-Type", OCI_MANIFEST);
        assertThat(put.status()).as(put.text()).isEqualTo(201);

        Http.Response pulled = onB.get("/v2/local/app/manifests/v1", "Authorization", AUTH, "Accept", OCI_MANIFEST);
        assertThat(pulled.status()).as(pulled.text()).isEqualTo(200);
        assertThat(pulled.body()).isEqualTo(manifest);
        assertThat(onB.get("/v2/local/app/blobs/" + layerDigest, "Authorization", AUTH).body()).isEqualTo(layer);
    }

    @Test
    void aTagDeletedOnOneReplicaIsGoneFromTheOtherAtOnce() {
        Http onA = new Http(a.url());
        Http onB = new Http(b.url());
        byte[] config = "{\"os\":\"linux\"}".getBytes(StandardCharsets.UTF_8);
        byte[] layer = bytes(1000, 4);
        Digest configDigest = push(onA, "local/gone", config);
        Digest layerDigest = push(onA, "local/gone", layer);
        byte[] manifest = manifest(configDigest, config.length, layerDigest, layer.length);
        assertThat(onA.send("PUT", "/v2/local/gone/manifests/old", manifest, "Authorization", AUTH, "Content-Type", OCI_MANIFEST)
                .status()).isEqualTo(201);
        assertThat(onB.get("/v2/local/gone/manifests/old", "Authorization", AUTH, "Accept", OCI_MANIFEST).status())
                .as("the other replica has read it, so it holds a copy").isEqualTo(200);

        assertThat(onA.send("DELETE", "/v2/local/gone/manifests/old", "Authorization", AUTH).status()).isEqualTo(202);

        Http.Response after = onB.get("/v2/local/gone/manifests/old", "Authorization", AUTH, "Accept", OCI_MANIFEST);
        assertThat(after.status()).isEqualTo(404);
        assertThat(after.text()).contains("MANIFEST_UNKNOWN");
    }

    @Test
    void aBlobDeletedByDigestOnOneReplicaIsUnknownOnTheOtherAtOnce() {
        Http onA = new Http(a.url());
        Http onB = new Http(b.url());
        byte[] blob = bytes(150_000, 7);
        Digest digest = push(onA, "local/blobgone", blob);
        assertThat(onB.get("/v2/local/blobgone/blobs/" + digest, "Authorization", AUTH).body())
                .as("the other replica has served it, so it holds a copy and knows the link").isEqualTo(blob);

        assertThat(onA.send("DELETE", "/v2/local/blobgone/blobs/" + digest, "Authorization", AUTH).status()).isEqualTo(202);

        Http.Response get = onB.get("/v2/local/blobgone/blobs/" + digest, "Authorization", AUTH);
        assertThat(get.status()).as("GET on the other replica after the delete").isEqualTo(404);
        assertThat(get.text()).contains("BLOB_UNKNOWN");
        assertThat(onB.head("/v2/local/blobgone/blobs/" + digest, "Authorization", AUTH).status()).isEqualTo(404);
    }

    @Test
    void aManifestDeletedByDigestOnOneReplicaIsUnknownOnTheOtherAtOnceByDigestAndByTag() {
        Http onA = new Http(a.url());
        Http onB = new Http(b.url());
        byte[] config = "{\"os\":\"linux\",\"variant\":\"gone\"}".getBytes(StandardCharsets.UTF_8);
        byte[] layer = bytes(2000, 8);
        byte[] manifest = manifest(push(onA, "local/mgone", config), config.length, push(onA, "local/mgone", layer), layer.length);
        Digest digest = Digest.sha256(manifest);
        assertThat(onA.send("PUT", "/v2/local/mgone/manifests/v1", manifest, "Authorization", AUTH, "Content-Type", OCI_MANIFEST)
                .status()).isEqualTo(201);
        assertThat(onB.get("/v2/local/mgone/manifests/" + digest, "Authorization", AUTH, "Accept", OCI_MANIFEST).body())
                .as("the other replica has served it by digest").isEqualTo(manifest);
        assertThat(onB.get("/v2/local/mgone/manifests/v1", "Authorization", AUTH, "Accept", OCI_MANIFEST).status())
                .as("and by tag").isEqualTo(200);

        assertThat(onA.send("DELETE", "/v2/local/mgone/manifests/" + digest, "Authorization", AUTH).status()).isEqualTo(202);

        Http.Response byDigest = onB.get("/v2/local/mgone/manifests/" + digest, "Authorization", AUTH, "Accept", OCI_MANIFEST);
        assertThat(byDigest.status()).as(byDigest.text()).isEqualTo(404);
        assertThat(byDigest.text()).contains("MANIFEST_UNKNOWN");
        assertThat(onB.head("/v2/local/mgone/manifests/" + digest, "Authorization", AUTH, "Accept", OCI_MANIFEST).status())
                .isEqualTo(404);
        Http.Response byTag = onB.get("/v2/local/mgone/manifests/v1", "Authorization", AUTH, "Accept", OCI_MANIFEST);
        assertThat(byTag.status()).as(byTag.text()).isEqualTo(404);
        assertThat(byTag.text()).contains("MANIFEST_UNKNOWN");
    }

    @Test
    void aTagDeletedOnOneReplicaIsNoLongerListedByTheOther() {
        Http onA = new Http(a.url());
        Http onB = new Http(b.url());
        byte[] config = "{\"os\":\"linux\",\"variant\":\"listed\"}".getBytes(StandardCharsets.UTF_8);
        byte[] layer = bytes(3000, 9);
        byte[] manifest = manifest(push(onA, "local/listed", config), config.length, push(onA, "local/listed", layer), layer.length);
        for (String tag : new String[] {"keep", "drop"}) {
            assertThat(onA.send("PUT", "/v2/local/listed/manifests/" + tag, manifest, "Authorization", AUTH,
                    "Content-Type", OCI_MANIFEST).status()).isEqualTo(201);
            assertThat(onB.get("/v2/local/listed/manifests/" + tag, "Authorization", AUTH, "Accept", OCI_MANIFEST).status())
                    .as("the other replica has read " + tag + ", so it holds a copy of its record").isEqualTo(200);
        }
        assertThat(onB.get("/v2/local/listed/tags/list", "Authorization", AUTH).text()).contains("\"drop\"", "\"keep\"");

        assertThat(onA.send("DELETE", "/v2/local/listed/manifests/drop", "Authorization", AUTH).status()).isEqualTo(202);

        Http.Response list = onB.get("/v2/local/listed/tags/list", "Authorization", AUTH);
        assertThat(list.status()).isEqualTo(200);
        assertThat(list.text()).contains("\"keep\"").doesNotContain("\"drop\"");
    }

    @Test
    void aReferrerDeletedOnOneReplicaIsNoLongerListedByTheOther() {
        Http onA = new Http(a.url());
        Http onB = new Http(b.url());
        byte[] config = "{\"os\":\"linux\",\"variant\":\"referred\"}".getBytes(StandardCharsets.UTF_8);
        byte[] layer = bytes(1500, 10);
        byte[] subject = manifest(push(onA, "local/referred", config), config.length, push(onA, "local/referred", layer), layer.length);
        Digest subjectDigest = Digest.sha256(subject);
        assertThat(onA.send("PUT", "/v2/local/referred/manifests/v1", subject, "Authorization", AUTH, "Content-Type", OCI_MANIFEST)
                .status()).isEqualTo(201);
        byte[] empty = "{}".getBytes(StandardCharsets.UTF_8);
        Digest emptyDigest = push(onA, "local/referred", empty);
        byte[] referrer = ("{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",\"artifactType\":\"application/x.test\","
                + "\"config\":{\"mediaType\":\"application/vnd.oci.empty.v1+json\",\"digest\":\"" + emptyDigest + "\",\"size\":2},"
                + "\"layers\":[],\"subject\":{\"mediaType\":\"" + OCI_MANIFEST + "\",\"digest\":\"" + subjectDigest
                + "\",\"size\":" + subject.length + "}}").getBytes(StandardCharsets.UTF_8);
        Digest referrerDigest = Digest.sha256(referrer);
        Http.Response put = onA.send("PUT", "/v2/local/referred/manifests/" + referrerDigest, referrer, "Authorization", AUTH,
                "Content-Type", OCI_MANIFEST);
        assertThat(put.status()).as(put.text()).isEqualTo(201);
        String referrers = "/v2/local/referred/referrers/" + subjectDigest;
        assertThat(onB.get(referrers, "Authorization", AUTH).text()).as("the other replica has listed it, so it holds a copy")
                .contains(referrerDigest.toString());

        assertThat(onA.send("DELETE", "/v2/local/referred/manifests/" + referrerDigest, "Authorization", AUTH).status())
                .isEqualTo(202);

        Http.Response listed = onB.get(referrers, "Authorization", AUTH);
        assertThat(listed.status()).isEqualTo(200);
        assertThat(listed.text()).doesNotContain(referrerDigest.toString());
    }

    @Test
    void aPushWhoseBucketWriteFailsIsRefusedAndLeavesNothing() throws Exception {
        try (Fleet<GantryServer> failing = fleet(tmp.resolve("failing")).start("c")) {
            S3ProxyServer own = failing.s3();
            GantryServer c = failing.replica(0);
            Http onC = new Http(c.url());
            byte[] config = "{\"os\":\"plan9\"}".getBytes(StandardCharsets.UTF_8);
            byte[] layer = bytes(5000, 5);
            byte[] manifest = manifest(push(onC, "local/down", config), config.length, push(onC, "local/down", layer), layer.length);
            byte[] late = bytes(4000, 6);
            String session = onC.send("POST", "/v2/local/down/blobs/uploads/", "Authorization", AUTH).header("Location");
            own.stop();

            Http.Response blobPut = onC.send("PUT", withDigest(session, Digest.sha256(late)), late, "Authorization", AUTH,
                    "Content-Type", "application/octet-stream");
            assertThat(blobPut.status()).as(blobPut.text()).isEqualTo(503);
            assertThat(blobPut.text()).contains("UNAVAILABLE");

            Http.Response put = onC.send("PUT", "/v2/local/down/manifests/v1", manifest, "Authorization", AUTH,
                    "Content-Type", OCI_MANIFEST);

            assertThat(put.status()).as(put.text()).isEqualTo(503);
            assertThat(put.text()).contains("UNAVAILABLE");
            assertThat(put.header("Retry-After")).isNotNull();
            own.restart();
            assertThat(onC.get("/v2/local/down/manifests/v1", "Authorization", AUTH, "Accept", OCI_MANIFEST).status())
                    .as("no tag was stored").isEqualTo(404);
            assertThat(onC.get("/v2/local/down/manifests/" + Digest.sha256(manifest), "Authorization", AUTH, "Accept",
                    OCI_MANIFEST).status()).as("no manifest was linked").isEqualTo(404);
            assertThat(onC.head("/v2/local/down/blobs/" + Digest.sha256(late), "Authorization", AUTH).status())
                    .as("no blob was linked").isEqualTo(404);
        }
    }

    private static Digest push(Http via, String repo, byte[] blob) {
        Digest digest = Digest.sha256(blob);
        String location = via.send("POST", "/v2/" + repo + "/blobs/uploads/", "Authorization", AUTH).header("Location");
        Http.Response done = via.send("PUT", withDigest(location, digest), blob, "Authorization", AUTH,
                "Content-Type", "application/octet-stream");
        assertThat(done.status()).as(done.text()).isEqualTo(201);
        return digest;
    }

    private static byte[] manifest(Digest config, long configSize, Digest layer, long layerSize) {
        return ("{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\",\"config\":{\"mediaType\":"
                + "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + config + "\",\"size\":" + configSize + "},"
                + "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"" + layer
                + "\",\"size\":" + layerSize + "}]}").getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] bytes(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static String withDigest(String location, Digest digest) {
        return location + (location.contains("?") ? "&" : "?") + "digest=" + digest;
    }
}
