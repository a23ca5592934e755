package dev.gantry.it.storage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.storage.StorageLayout;
import dev.gantry.testing.Awaits;
import dev.gantry.testing.EnginePull;
import dev.gantry.testing.Fleet;
import dev.gantry.testing.GantryServer;
import dev.gantry.testing.Http;
import dev.gantry.testing.Pusher;
import dev.gantry.testing.TestImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An operator runs Gantry on its local disk alone, pushes images to it, then
 * turns on {@code storage.s3} (to scale out) and restarts it on the same data
 * directory, on a real S3Proxy bucket: the images pushed before stay
 * pullable, listed and in the catalog, are copied to the bucket for the other
 * replicas, never over what the bucket already holds, and only once; a copy
 * the bucket refused goes on at the next start.
 */
class HostedSeedIT {

    private static final String AUTH = "Basic " + Base64.getEncoder().encodeToString("alice:pw".getBytes(StandardCharsets.UTF_8));
    private static final Duration SEED = Duration.ofSeconds(60);

    @TempDir
    Path tmp;

    Fleet<GantryServer> fleet;

    @BeforeEach
    void bucket() {
        // The bucket's server, the users and the shared token key; the replicas are started by each test.
        // No warm-up: each test starts a replica up to four times, and readiness is not what it is about.
        fleet = Fleet.inProcess(tmp).hosted("local/").users(Map.of("alice", "pw")).sharedTokenKey().bucketPrefix("fleet/")
                .config("server:\n  warmUp: 0s\n").start();
    }

    @AfterEach
    void stop() {
        fleet.close();
    }

    @Test
    void imagesPushedBeforeTheBucketArePulledListedAndInTheCatalogAfterARestartWithIt() {
        TestImage image = TestImage.builder().seed(11).layer(300_000).layer(40_000).build();
        pushedBeforeTheBucket("local/app", "1", image);

        try (GantryServer a = withBucket("a")) {
            Http http = new Http(a.url());
            assertThat(EnginePull.pull(http, "local/app", "1", image)).isEqualTo(image.digest().toString());
            assertThat(http.get("/v2/local/app/tags/list").text()).contains("\"1\"");
            assertThat(http.get("/v2/_catalog").text()).contains("\"local/app\"");

            awaitSeeded("a");
            assertThat(fleet.keys("fleet/meta/repositories/_hosted/local/app/_tags/1")).as("the tag, in the bucket").hasSize(1);
            for (TestImage.Blob b : image.blobs()) {
                assertThat(fleet.keys("fleet/blobs/sha256/" + b.digest().hex())).as("blob %s, in the bucket", b.digest()).hasSize(1);
            }
            assertThat(EnginePull.pull(http, "local/app", "1", image)).as("from the bucket's records now")
                    .isEqualTo(image.digest().toString());
        }
    }

    @Test
    void aSecondReplicaOnTheBucketPullsWhatWasPushedBeforeIt() {
        TestImage image = TestImage.builder().seed(12).layer(250_000).build();
        pushedBeforeTheBucket("local/team/tool", "v2", image);

        try (GantryServer a = withBucket("a")) {
            awaitSeeded("a");
            GantryServer b = fleet.add("b");
            Http http = new Http(b.url());

            assertThat(EnginePull.pull(http, "local/team/tool", "v2", image)).isEqualTo(image.digest().toString());
            assertThat(http.get("/v2/local/team/tool/tags/list").text()).contains("\"v2\"");
            assertThat(http.get("/v2/_catalog").text()).contains("\"local/team/tool\"");
        }
    }

    @Test
    void aTagTheBucketHoldsAtAnotherDigestIsNotOverwritten() {
        TestImage old = TestImage.builder().seed(13).layer(100_000).build();
        TestImage newer = TestImage.builder().seed(14).layer(120_000).build();
        pushedBeforeTheBucket("local/app", "1", old);
        try (GantryServer a = GantryServer.start(fleet.localConfig("a"), tmp.resolve("a"), Clock.systemUTC())) {
            new Pusher(a.url(), AUTH).push("local/app", "2", old);
        }
        GantryServer b = fleet.add("b");
        new Pusher(b.url(), AUTH).push("local/app", "1", newer);

        try (GantryServer a = withBucket("a")) {
            // Nothing reads tag 1 through a before the seed is done: a read would copy the bucket's record over a's.
            awaitSeeded("a");

            Http onB = new Http(b.url());
            assertThat(EnginePull.pull(onB, "local/app", "1", newer)).as("tag 1, after the seed")
                    .isEqualTo(newer.digest().toString());
            assertThat(EnginePull.pull(onB, "local/app", "2", old)).as("tag 2, which only the seed wrote")
                    .isEqualTo(old.digest().toString());
            assertThat(EnginePull.pull(new Http(a.url()), "local/app", "1", newer))
                    .as("the bucket's tag, on the replica whose disk holds an older one").isEqualTo(newer.digest().toString());
        }
    }

    @Test
    void aSecondStartDoesNotSeedAgainSoATagDeletedThroughTheBucketStaysDeleted() {
        TestImage image = TestImage.builder().seed(15).layer(80_000).build();
        pushedBeforeTheBucket("local/app", "keep", image);
        try (GantryServer a = GantryServer.start(fleet.localConfig("a"), tmp.resolve("a"), Clock.systemUTC())) {
            new Pusher(a.url(), AUTH).putManifest("local/app", "drop", image.manifest());
        }
        try (GantryServer a = withBucket("a")) {
            awaitSeeded("a");
        }
        // Nothing read it through the bucket yet: only the seed can have marked it read today, which keeps
        // a retention sweep from removing it in the minutes before a big seed writes its links.
        assertThat(fleet.keys("fleet/access/" + image.digest().algorithm() + "/" + image.digest().hex() + "/"))
                .as("the seeded manifest's access marker").isNotEmpty();
        GantryServer b = fleet.add("b");
        Http onB = new Http(b.url());
        assertThat(onB.send("DELETE", "/v2/local/app/manifests/drop", "Authorization", AUTH).status()).isEqualTo(202);

        try (GantryServer a = withBucket("a")) {
            Http onA = new Http(a.url());
            // A seed serves each record it still owes the bucket from the local copy at once (see
            // HostedSeed), so a second seed would answer the stale "drop" here before writing it back.
            assertThat(onA.get("/v2/local/app/manifests/drop", "Accept", EnginePull.ACCEPT_ALL).status())
                    .as("the tag deleted through the other replica, on the replica whose disk still holds it").isEqualTo(404);
            assertThat(onA.get("/v2/local/app/tags/list").text()).contains("\"keep\"").doesNotContain("\"drop\"");
            assertThat(EnginePull.pull(onA, "local/app", "keep", image)).isEqualTo(image.digest().toString());
        }
        assertThat(fleet.keys("fleet/meta/repositories/_hosted/local/app/_tags/drop")).as("the deleted tag, in the bucket").isEmpty();
        assertThat(onB.get("/v2/local/app/tags/list").text()).doesNotContain("\"drop\"");
    }

    @Test
    void aSeedTheBucketRefusedGoesOnAtTheNextStart() {
        TestImage image = TestImage.builder().seed(16).layer(90_000).build();
        pushedBeforeTheBucket("local/app", "1", image);
        fleet.s3().stop();
        try (GantryServer a = withBucket("a")) {
            assertThat(EnginePull.pull(new Http(a.url()), "local/app", "1", image)).as("served from this disk meanwhile")
                    .isEqualTo(image.digest().toString());
        }
        assertThat(StorageLayout.seedDone(dataDir("a"))).as("no seed recorded done while the bucket was down").doesNotExist();
        fleet.s3().restart();

        try (GantryServer a = withBucket("a")) {
            awaitSeeded("a");
        }
        GantryServer b = fleet.add("b");
        assertThat(EnginePull.pull(new Http(b.url()), "local/app", "1", image)).isEqualTo(image.digest().toString());
    }

    /** Runs replica {@code a} on its local disk alone, pushes {@code image} as {@code repo:tag}, and stops it. */
    private void pushedBeforeTheBucket(String repo, String tag, TestImage image) {
        try (GantryServer a = GantryServer.start(fleet.localConfig("a"), tmp.resolve("a"), Clock.systemUTC())) {
            new Pusher(a.url(), AUTH).push(repo, tag, image);
        }
    }

    /** Replica {@code name} on its data directory, now with the bucket. */
    private GantryServer withBucket(String name) {
        return GantryServer.start(fleet.config(name), tmp.resolve(name), Clock.systemUTC());
    }

    private Path dataDir(String name) {
        return tmp.resolve(name).resolve("data").toAbsolutePath().normalize();
    }

    /** Waits for the replica's data directory to record a complete seed of the bucket. */
    private void awaitSeeded(String name) {
        Path marker = StorageLayout.seedDone(dataDir(name));
        Awaits.until(() -> Files.exists(marker), SEED, "the seed of " + name + "'s pushed images into the bucket");
    }
}
