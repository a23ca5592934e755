package dev.gantry.it.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.oci.Digest;
import dev.gantry.oci.MediaTypes;
import dev.gantry.testing.Awaits;
import dev.gantry.testing.DistributionRegistry;
import dev.gantry.testing.Fleet;
import dev.gantry.testing.GantryServer;
import dev.gantry.testing.Http;
import dev.gantry.testing.Pusher;
import dev.gantry.testing.TestImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An operator's eviction of a mirrored image on one replica spares what a
 * hosted repository holds, though another replica linked it after this one
 * started: for pushed content the bucket's copy may be the only one there is.
 */
class FleetEvictionIT {

    private static final String AUTH = "Basic " + Base64.getEncoder().encodeToString("ops:ops-Secret-1".getBytes(StandardCharsets.UTF_8));

    @TempDir
    Path tmp;

    private DistributionRegistry upstream;
    private Fleet<GantryServer> fleet;

    @AfterEach
    void stop() {
        if (fleet != null) {
            fleet.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    private static void pull(GantryServer replica, String repo, String tag, TestImage image) {
        Http http = new Http(replica.url());
        Http.Response m = http.get("/v2/" + repo + "/manifests/" + tag, "Accept", MediaTypes.OCI_MANIFEST, "Authorization", AUTH);
        assertThat(m.status()).as("%s:%s on %s: %s", repo, tag, replica.url(), m.text()).isEqualTo(200);
        for (TestImage.Blob b : image.blobs()) {
            Http.Response blob = http.get("/v2/" + repo + "/blobs/" + b.digest(), "Authorization", AUTH);
            assertThat(blob.status()).as("%s of %s on %s: %s", b.digest(), repo, replica.url(), blob.text()).isEqualTo(200);
            assertThat(Digest.sha256(blob.body())).isEqualTo(b.digest());
        }
    }

    @Test
    void evictingAMirroredImageSparesTheCopyAHostedRepositoryOnAnotherReplicaHolds() {
        upstream = DistributionRegistry.start(tmp.resolve("upstream"));
        fleet = Fleet.inProcess(tmp).upstream(upstream.url()).hosted("local/").users(Map.of("ops", "ops-Secret-1")).admins("ops")
                .sharedTokenKey().bucketPrefix("m/").config("prefetch:\n  mode: \"off\"\n").start("a", "b");
        GantryServer a = fleet.replica(0);
        GantryServer b = fleet.replica(1);
        TestImage image = TestImage.builder().seed(71).layer(50_000).layer(20_000).build();
        new Pusher(upstream.url()).push("test/shared", "1", image);
        pull(a, "test/shared", "1", image);
        // The same image pushed to a hosted repository through the other replica, after a started.
        new Pusher(b.url(), AUTH).push("local/copy", "1", image);
        Awaits.until(() -> Fleet.settled(a) && Fleet.settled(b), Duration.ofSeconds(30), "writes to the bucket settled");

        Http.Response evicted = new Http(a.url()).send("DELETE", "/v2/_gantry/cache/test/shared/manifests/1", (byte[]) null,
                "Authorization", AUTH);
        assertThat(evicted.status()).as(evicted.text()).isEqualTo(200);

        pull(a, "local/copy", "1", image);
        pull(b, "local/copy", "1", image);
    }
}
