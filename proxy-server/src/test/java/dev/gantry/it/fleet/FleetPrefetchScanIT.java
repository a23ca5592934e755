package dev.gantry.it.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.fleet.Member;
import dev.gantry.fleet.Rendezvous;
import dev.gantry.oci.Digest;
import dev.gantry.oci.MediaTypes;
import dev.gantry.testing.Awaits;
import dev.gantry.testing.DistributionRegistry;
import dev.gantry.testing.Fleet;
import dev.gantry.testing.GantryServer;
import dev.gantry.testing.Http;
import dev.gantry.testing.Pusher;
import dev.gantry.testing.TestImage;
import dev.gantry.upstream.PeerFetch;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three replicas on one bucket with prefetch on, in front of a real
 * Distribution registry: a layer prefetched through its fleet owner is
 * scanned by that owner, which fetched it from upstream, as a layer a client
 * asked for is; the replica that prefetched it takes the owner's findings.
 */
class FleetPrefetchScanIT {

    @TempDir
    static Path tmp;

    static DistributionRegistry hub;
    static Fleet<GantryServer> fleet;
    static List<GantryServer> replicas;

    @BeforeAll
    static void start() {
        hub = DistributionRegistry.start(tmp.resolve("hub"));
        fleet = Fleet.inProcess(tmp).upstream(hub.url())
                .config("prefetch:\n  mode: always\nhardware:\n  yieldToFills: 0s\n").sharedTokenKey()
                .bucketPrefix("mirror/").fleetIds().start("replica-0", "replica-1", "replica-2");
        replicas = fleet.replicas();
        for (GantryServer r : replicas) {
            Awaits.until(() -> Fleet.memberIds(r), ids -> ids.size() == 3, Duration.ofSeconds(20));
        }
    }

    @AfterAll
    static void stop() {
        if (fleet != null) {
            fleet.close();
        }
        if (hub != null) {
            hub.close();
        }
    }

    @Test
    void aLayerPrefetchedThroughItsOwnerIsScannedByThatOwner() {
        TestImage image = TestImage.builder().seed(2022).layers(6, 50_000).build();
        new Pusher(hub.url()).push("library/prefetched", "v1", image);
        List<Member> members = replicas.stream().map(r -> new Member(id(r), null, null, null, null, "bucket")).toList();
        double[] scannedBefore = replicas.stream().mapToDouble(r -> r.gantry().metrics().value("gantry_scans_total", "complete")).toArray();
        GantryServer client = replicas.get(0);
        double adoptedBefore = client.gantry().metrics().value("gantry_scans_total", "adopted");

        // The manifest only: the client's replica prefetches the layers, each through its owner.
        Http http = new Http(client.url());
        assertThat(http.get("/v2/library/prefetched/manifests/v1", "Accept", MediaTypes.OCI_MANIFEST).status()).isEqualTo(200);

        long elsewhere = image.layers().stream().filter(l -> !owner(l.digest(), members).equals(id(client))).count();
        assertThat(elsewhere).as("layers owned by the other replicas (the test needs some)").isPositive();
        // Well before the ~40 s after which the client's replica would scan them itself.
        Awaits.until(() -> client.gantry().metrics().value("gantry_scans_total", "adopted") - adoptedBefore >= elsewhere,
                Duration.ofSeconds(25), "findings of the prefetched layers other replicas fetched, taken by " + id(client));
        for (int i = 0; i < replicas.size(); i++) {
            GantryServer r = replicas.get(i);
            long owned = image.layers().stream().filter(l -> owner(l.digest(), members).equals(id(r))).count();
            assertThat(r.gantry().metrics().value("gantry_scans_total", "complete") - scannedBefore[i])
                    .as("layers %s scanned (it owns %d)", id(r), owned).isEqualTo(owned);
        }
    }

    private static String id(GantryServer r) {
        return "replica-" + replicas.indexOf(r);
    }

    private static String owner(Digest d, List<Member> members) {
        return Rendezvous.owner(PeerFetch.blobKey(d), members).id();
    }
}
