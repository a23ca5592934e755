package dev.gantry.it.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.oci.MediaTypes;
import dev.gantry.testing.Awaits;
import dev.gantry.testing.Fleet;
import dev.gantry.testing.GantryServer;
import dev.gantry.testing.Http;
import dev.gantry.testing.ScriptedUpstream;
import dev.gantry.testing.TestImage;
import dev.gantry.storage.StorageLayout;
import dev.gantry.upstream.PeerFetch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tag's owner that serves its manifest stale (its upstream down) says so
 * on the peer channel: the replica that asked serves it stale too, and does
 * not take it for a check of the tag, so it asks again at the next request
 * instead of serving the old digest as fresh for a whole tag TTL. (A replica
 * asks the owner for a tag's body only when neither it nor the bucket holds
 * the manifest the tag's record names; here the bucket lost it.)
 */
class FleetStaleIT {

    @TempDir
    Path tmp;

    private ScriptedUpstream hub;
    private Fleet<GantryServer> fleet;
    /** What the hub serves for the tag; null while it is down (503). */
    private volatile TestImage serving;

    @AfterEach
    void stop() throws IOException {
        if (fleet != null) {
            fleet.close();
        }
        if (hub != null) {
            hub.close();
        }
    }

    private ScriptedUpstream.Answer hub(ScriptedUpstream.Request r) {
        TestImage image = serving;
        if (image == null) {
            return ScriptedUpstream.Answer.of(503, Map.of("Content-Length", "0"), new byte[0], false);
        }
        if (!r.path().equals("/v2/library/app/manifests/1")) {
            return ScriptedUpstream.Answer.of(404, Map.of("Content-Length", "0"), new byte[0], false);
        }
        byte[] manifest = image.manifest().bytes();
        return ScriptedUpstream.Answer.of(200, Map.of("Content-Type", MediaTypes.OCI_MANIFEST, "Content-Length",
                "" + manifest.length, "Docker-Content-Digest", image.digest().toString()),
                r.method().equals("HEAD") ? new byte[0] : manifest, false);
    }

    private static Http.Response manifest(GantryServer replica) {
        return new Http(replica.url()).get("/v2/library/app/manifests/1", "Accept", MediaTypes.OCI_MANIFEST);
    }

    @Test
    void aManifestTheOwnerServesStaleIsServedStaleAndTheTagIsAskedForAgain() throws IOException {
        TestImage v1 = TestImage.builder().seed(41).layer(1_000).build();
        TestImage v2 = TestImage.builder().seed(42).layer(1_000).build();
        serving = v1;
        hub = new ScriptedUpstream(this::hub);
        fleet = Fleet.inProcess(tmp).upstream(hub.url()).config("prefetch:\n  mode: \"off\"\ncache:\n  tagTtl: 1s\n")
                .sharedTokenKey().bucketPrefix("m/").fleetIds().start("r0", "r1");
        for (GantryServer r : fleet.replicas()) {
            Awaits.until(() -> Fleet.memberIds(r).size() == 2, Duration.ofSeconds(20), "both members seen by " + r.url());
        }
        String key = PeerFetch.manifestKey(fleet.replica(0).gantry().upstreams().get(0), "library/app", "1");
        boolean firstOwns = fleet.replica(0).gantry().fleet().ownership().owner(key) == null;
        GantryServer owner = firstOwns ? fleet.replica(0) : fleet.replica(1);
        GantryServer asker = firstOwns ? fleet.replica(1) : fleet.replica(0);
        // Only the owner holds the manifest: the bucket's copy is lost (an object gone, a prefix restored from an
        // older backup), so the other replica, which reads the tag's record there, asks the owner for the body.
        assertThat(manifest(owner).header("Docker-Content-Digest")).isEqualTo(v1.digest().toString());
        String shared = "m/meta/" + StorageLayout.manifestKey(v1.digest());
        Awaits.until(() -> fleet.keys(shared).contains(shared), Duration.ofSeconds(20), "the manifest in the bucket");
        Files.delete(fleet.s3().objectFile(Fleet.BUCKET, shared));

        serving = null; // the hub goes down
        Instant expired = Instant.now().plusMillis(1500);
        Awaits.until(() -> Instant.now().isAfter(expired), Duration.ofSeconds(5), "the tag TTL past on the owner");
        Http.Response stale = manifest(asker);
        assertThat(stale.status()).isEqualTo(200);
        assertThat(stale.header("Docker-Content-Digest")).isEqualTo(v1.digest().toString());
        assertThat(stale.header(PeerFetch.STALE)).as("served stale by the owner, so stale here too").isNotNull();

        serving = v2; // back, with the tag moved: the next request asks again, not a TTL later
        assertThat(manifest(asker).header("Docker-Content-Digest")).isEqualTo(v2.digest().toString());
    }
}
