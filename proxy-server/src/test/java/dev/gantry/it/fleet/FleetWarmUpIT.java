package dev.gantry.it.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.testing.Awaits;
import dev.gantry.testing.DistributionRegistry;
import dev.gantry.testing.EnginePull;
import dev.gantry.testing.Fleet;
import dev.gantry.testing.GantryServer;
import dev.gantry.testing.Http;
import dev.gantry.testing.Pusher;
import dev.gantry.testing.TestImage;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A new replica joining a fleet (empty disk, the fleet's bucket) copies the
 * fleet's hot blobs from the bucket to its disk before it answers ready:
 * real Distribution upstream, real S3Proxy bucket, two in-process replicas.
 */
class FleetWarmUpIT {

    @TempDir
    static Path tmp;

    static DistributionRegistry upstream;
    static Fleet<GantryServer> fleet;
    static GantryServer first;
    static GantryServer joiner;
    /** Two small layers pulled often, and one of 20 MB pulled once: more than a 64 MiB disk's hot budget (16 MiB). */
    static final TestImage image = TestImage.builder().seed(161).layer(1_500_000).layer(600_000).layer(20_000_000).build();

    @BeforeAll
    static void start() {
        upstream = DistributionRegistry.start(tmp.resolve("upstream"));
        // No replica yet: the test starts each when the fleet is ready for it.
        fleet = Fleet.inProcess(tmp).upstream(upstream.url()).bucketPrefix("mirror/").diskMaxBytes("64MiB")
                .config("prefetch:\n  mode: \"off\"\n").fleetIds().start();
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

    @Test
    void aNewReplicaHoldsTheFleetsHotBlobsOnItsDiskWhenItTurnsReady() throws Exception {
        new Pusher(upstream.url()).push("test/hot", "1", image);
        first = fleet.add("first");
        Http http = new Http(first.url());
        assertThat(EnginePull.pull(http, "test/hot", "1", image)).isEqualTo(image.digest().toString());
        TestImage.Blob big = image.layers().get(2);
        for (int i = 0; i < 5; i++) {
            for (TestImage.Blob hot : image.layers().subList(0, 2)) {
                assertThat(http.get("/v2/test/hot/blobs/" + hot.digest()).status()).isEqualTo(200);
            }
        }
        Awaits.until(() -> Fleet.settled(first), Duration.ofSeconds(30), "fills and uploads to the bucket settled");
        // A list published mid-pull may lack a layer: the next publish (every 5 s) names both.
        Awaits.until(() -> fleet.keys("mirror/meta/fleet/hot/first").stream().anyMatch(k -> {
            try {
                String list = java.nio.file.Files.readString(fleet.s3().objectFile(Fleet.BUCKET, k));
                return image.layers().subList(0, 2).stream().allMatch(l -> list.contains(l.digest().toString()));
            } catch (java.io.IOException e) {
                return false; // being written
            }
        }), Duration.ofSeconds(20), "the first replica's hot list in the bucket, naming both hot layers");
        upstream.resetLog();

        joiner = fleet.add("joiner"); // returns once /readyz answers 200

        var disk = joiner.gantry().disk();
        for (TestImage.Blob hot : image.layers().subList(0, 2)) {
            assertThat(disk.statNow(hot.digest())).as("hot layer %s on the new replica's disk at ready", hot.digest())
                    .hasValue(hot.bytes().length);
        }
        assertThat(disk.statNow(image.config().digest())).as("the config, pulled once but small").isPresent();
        assertThat(disk.statNow(big.digest())).as("a 20 MB layer beyond the hot budget of a 64 MiB disk").isEmpty();
        assertThat(upstream.requests()).as("upstream requests of the new replica's warm-up").isEmpty();
        // And it serves them from its disk: a hit, not a fill from the bucket.
        Http fresh = new Http(joiner.url());
        assertThat(fresh.get("/v2/test/hot/blobs/" + image.layers().get(0).digest()).body())
                .isEqualTo(image.layers().get(0).bytes());
        assertThat(upstream.requests()).isEmpty();
    }
}
