package dev.gantry.it.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gantry.testing.Awaits;
import dev.gantry.testing.EnginePull;
import dev.gantry.testing.GantryServer;
import dev.gantry.testing.Http;
import dev.gantry.testing.MirrorWithBucket;
import dev.gantry.testing.Pusher;
import dev.gantry.testing.TestImage;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
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

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path tmp;

    static MirrorWithBucket world;
    static GantryServer first;
    static GantryServer joiner;
    /** Two small layers pulled often, and one of 20 MB pulled once: more than a 64 MiB disk's hot budget (16 MiB). */
    static final TestImage image = TestImage.builder().seed(161).layer(1_500_000).layer(600_000).layer(20_000_000).build();

    @BeforeAll
    static void start() {
        world = MirrorWithBucket.start(tmp);
    }

    @AfterAll
    static void stop() {
        if (joiner != null) {
            joiner.close();
        }
        if (first != null) {
            first.close();
        }
        world.close();
    }

    static GantryServer replica(String id) {
        return GantryServer.start(world.gantryYaml(tmp.resolve(id), "mirror/", "    maxBytes: 64MiB\n")
                + "prefetch:\n  mode: \"off\"\nfleet:\n  id: " + id + "\n", tmp.resolve(id), Clock.systemUTC());
    }

    private static boolean settled(GantryServer replica) {
        try {
            JsonNode status = JSON.readTree(new Http(replica.url()).get("/v2/_gantry/status").body());
            return status.path("fillsInFlight").asInt(-1) == 0
                    && status.path("tiers").path("s3").path("pendingUploads").asInt(-1) == 0;
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void aNewReplicaHoldsTheFleetsHotBlobsOnItsDiskWhenItTurnsReady() throws Exception {
        new Pusher(world.upstream().url()).push("test/hot", "1", image);
        first = replica("first");
        Http http = new Http(first.url());
        assertThat(EnginePull.pull(http, "test/hot", "1", image)).isEqualTo(image.digest().toString());
        TestImage.Blob big = image.layers().get(2);
        for (int i = 0; i < 5; i++) {
            for (TestImage.Blob hot : image.layers().subList(0, 2)) {
                assertThat(http.get("/v2/test/hot/blobs/" + hot.digest()).status()).isEqualTo(200);
            }
        }
        Awaits.until(() -> settled(first), Duration.ofSeconds(30), "fills and uploads to the bucket settled");
        Awaits.until(() -> !world.keys("mirror/meta/fleet/hot/first").isEmpty(), Duration.ofSeconds(20),
                "the first replica's hot list in the bucket");
        world.upstream().resetLog();

        joiner = replica("joiner"); // returns once /readyz answers 200

        var disk = joiner.gantry().disk();
        for (TestImage.Blob hot : image.layers().subList(0, 2)) {
            assertThat(disk.statNow(hot.digest())).as("hot layer %s on the new replica's disk at ready", hot.digest())
                    .hasValue(hot.bytes().length);
        }
        assertThat(disk.statNow(image.config().digest())).as("the config, pulled once but small").isPresent();
        assertThat(disk.statNow(big.digest())).as("a 20 MB layer beyond the hot budget of a 64 MiB disk").isEmpty();
        assertThat(world.upstream().requests()).as("upstream requests of the new replica's warm-up").isEmpty();
        // And it serves them from its disk: a hit, not a fill from the bucket.
        Http fresh = new Http(joiner.url());
        assertThat(fresh.get("/v2/test/hot/blobs/" + image.layers().get(0).digest()).body())
                .isEqualTo(image.layers().get(0).bytes());
        assertThat(world.upstream().requests()).isEmpty();
    }
}
