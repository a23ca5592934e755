package dev.gantry.it.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gantry.oci.Digest;
import dev.gantry.oci.MediaTypes;
import dev.gantry.registry.CacheAdmin;
import dev.gantry.testing.Awaits;
import dev.gantry.testing.DistributionRegistry;
import dev.gantry.testing.Fleet;
import dev.gantry.testing.GantryServer;
import dev.gantry.testing.Http;
import dev.gantry.testing.Pusher;
import dev.gantry.testing.TestImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two replicas on one S3Proxy bucket, with users and an admin rule, in
 * front of a real Distribution registry: a pin made through the admin API
 * of one replica is a pin of the fleet. The other lists it, spares its blobs
 * from eviction and revalidates it; an unpin on either ends it on both.
 */
class FleetPinsIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, String> PASSWORDS = Map.of("ops", "ops-Secret-1");
    /** The replicas re-read the bucket's pins every few seconds; this leaves a loaded machine room. */
    private static final Duration SHARED_WITHIN = Duration.ofSeconds(30);

    @TempDir
    static Path tmp;

    static DistributionRegistry upstream;
    static Fleet<GantryServer> fleet;
    static GantryServer a;
    static GantryServer b;

    @BeforeAll
    static void start() {
        upstream = DistributionRegistry.start(tmp.resolve("upstream"));
        fleet = Fleet.inProcess(tmp).upstream(upstream.url()).users(PASSWORDS).admins("ops").sharedTokenKey()
                .bucketPrefix("mirror/").config("prefetch:\n  mode: \"off\"\ncache:\n  pins:\n    revalidate: 2s\n")
                .start("a", "b");
        a = fleet.replica(0);
        b = fleet.replica(1);
    }

    @AfterAll
    static void stop() {
        if (fleet != null) {
            fleet.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    private static Http.Response admin(GantryServer replica, String method, String path) {
        String basic = "Basic " + Base64.getEncoder().encodeToString(("ops:" + PASSWORDS.get("ops")).getBytes(StandardCharsets.UTF_8));
        return new Http(replica.url()).send(method, path, (byte[]) null, "Authorization", basic);
    }

    /** The pins a replica lists, by image. */
    private static List<JsonNode> pins(GantryServer replica) {
        Http.Response r = admin(replica, "GET", "/v2/_gantry/pins");
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        try {
            List<JsonNode> pins = new ArrayList<>();
            JSON.readTree(r.body()).get("pins").forEach(pins::add);
            return pins;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean lists(GantryServer replica, String image) {
        return pins(replica).stream().anyMatch(p -> p.get("image").asText().equals(image));
    }

    private static boolean holds(GantryServer replica, TestImage image) {
        CacheAdmin admin = replica.gantry().registry().admin();
        return image.blobs().stream().map(TestImage.Blob::digest).allMatch(admin::pinned);
    }

    private static TestImage pushAndPullThrough(GantryServer replica, String repo, long seed) {
        TestImage image = TestImage.builder().seed(seed).layer(200_000).layer(30_000).build();
        new Pusher(upstream.url()).push(repo, "1", image);
        Http http = new Http(replica.url());
        Http.Response m = http.get("/v2/" + repo + "/manifests/1", "Accept", String.join(", ", MediaTypes.MANIFEST_TYPES));
        assertThat(m.status()).as(m.text()).isEqualTo(200);
        for (TestImage.Blob blob : image.blobs()) {
            assertThat(Digest.sha256(http.get("/v2/" + repo + "/blobs/" + blob.digest()).body())).isEqualTo(blob.digest());
        }
        Awaits.until(() -> Fleet.settled(replica), SHARED_WITHIN, "what " + replica.url() + " fetched is in the bucket");
        return image;
    }

    @Test
    void aPinMadeOnOneReplicaIsListedHeldAndRevalidatedByTheOtherUntilUnpinnedThere() {
        TestImage image = pushAndPullThrough(a, "test/fleetpin", 1);
        String pinned = "docker.io/test/fleetpin:1";
        assertThat(lists(b, pinned)).isFalse();

        Http.Response put = admin(a, "PUT", "/v2/_gantry/pins/test/fleetpin:1");
        assertThat(put.status()).as(put.text()).isEqualTo(201);

        Awaits.until(() -> lists(b, pinned), SHARED_WITHIN, "the other replica lists the pin");
        Awaits.until(() -> holds(b, image), SHARED_WITHIN, "the other replica's eviction spares the pinned blobs");
        Awaits.until(() -> pins(b).stream().filter(p -> p.get("image").asText().equals(pinned))
                .anyMatch(p -> !p.get("revalidatedAt").isNull()), SHARED_WITHIN, "the other replica revalidates the pin");
        Http.Response refused = admin(b, "DELETE", "/v2/_gantry/cache/test/fleetpin/manifests/1");
        assertThat(refused.status()).as("eviction of the pinned image on the other replica: %s", refused.text()).isEqualTo(409);

        Http.Response unpin = admin(b, "DELETE", "/v2/_gantry/pins/test/fleetpin:1");
        assertThat(unpin.status()).as(unpin.text()).isEqualTo(200);
        assertThat(lists(b, pinned)).isFalse();
        Awaits.until(() -> !lists(a, pinned), SHARED_WITHIN, "the replica that pinned it no longer lists the pin");
        Awaits.until(() -> !holds(a, image), SHARED_WITHIN, "the replica that pinned it no longer spares its blobs");
    }

    @Test
    void aPinJustMadeOnOneReplicaIsUnpinnedOnTheOtherAtOnce() {
        Http.Response put = admin(a, "PUT", "/v2/_gantry/pins/test/fresh:1");
        assertThat(put.status()).as(put.text()).isEqualTo(201);
        // The other replica may not have re-read the bucket yet: the unpin still finds the pin there.
        Http.Response unpin = admin(b, "DELETE", "/v2/_gantry/pins/test/fresh:1");
        assertThat(unpin.status()).as(unpin.text()).isEqualTo(200);
        Awaits.until(() -> !lists(a, "docker.io/test/fresh:1"), SHARED_WITHIN, "the replica that pinned it drops the pin");
        // Pinning again where it was first made: the store has no record left to say it is pinned.
        Http.Response again = admin(a, "PUT", "/v2/_gantry/pins/test/fresh:1");
        assertThat(again.status()).as(again.text()).isEqualTo(201);
        assertThat(admin(a, "DELETE", "/v2/_gantry/pins/test/fresh:1").status()).isEqualTo(200);
    }
}
