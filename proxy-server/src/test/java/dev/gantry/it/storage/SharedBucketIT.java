package dev.gantry.it.storage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.oci.Digest;
import dev.gantry.testing.Awaits;
import dev.gantry.testing.EnginePull;
import dev.gantry.testing.DistributionRegistry;
import dev.gantry.testing.Fleet;
import dev.gantry.testing.GantryProcess;
import dev.gantry.testing.Http;
import dev.gantry.testing.Pusher;
import dev.gantry.testing.TestImage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3AsyncClient;

/**
 * Two Gantry processes sharing one S3 bucket, as replicas behind one
 * Service: what one fetched the other serves without asking upstream.
 */
class SharedBucketIT {

    @TempDir
    static Path tmp;

    static DistributionRegistry upstream;
    static Fleet<GantryProcess> fleet;
    static GantryProcess first;
    static GantryProcess second;

    @BeforeAll
    static void start() {
        upstream = DistributionRegistry.start(tmp.resolve("upstream"));
        fleet = Fleet.ofProcesses(tmp).upstream(upstream.url()).bucketPrefix("mirror/").diskMaxBytes("64MiB").start("first", "second");
        first = fleet.replica(0);
        second = fleet.replica(1);
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

    private static String pull(String base, String repo, String tag, TestImage image) {
        return EnginePull.pull(new Http(base), repo, tag, image);
    }

    private static void await(String what, BooleanSupplier condition) {
        Awaits.until(condition, Duration.ofSeconds(30), what);
    }

    static List<String> keys(String prefix) {
        return fleet.keys(prefix);
    }

    @Test
    void anImagePulledThroughOneReplicaIsPulledThroughTheOtherWithoutUpstream() throws Exception {
        TestImage image = TestImage.builder().seed(1).layer(2_000_000).layer(300_000).layer(20_000_000).build();
        new Pusher(upstream.url()).push("test/shared", "1", image);
        assertThat(pull(first.url(), "test/shared", "1", image)).isEqualTo(image.digest().toString());
        for (TestImage.Blob b : image.blobs()) {
            await("upload of " + b.digest(), () -> keys("mirror/blobs/sha256/" + b.digest().hex()).size() == 1);
        }
        await("shared tag record", () -> !keys("mirror/meta/repositories/docker.io/test/shared/_tags/1").isEmpty());
        upstream.resetLog();

        assertThat(pull(second.url(), "test/shared", "1", image)).isEqualTo(image.digest().toString());
        assertThat(upstream.requests()).as("upstream requests for the second replica's pull").isEmpty();
        // The access log line is written after the response, and read from the process's output: wait for it.
        String bigLayer = "/blobs/" + image.layers().get(2).digest() + " 200 ";
        Awaits.waitFor("the second replica logging the manifest as a hit and the big layer as served from S3",
                Duration.ofSeconds(10)).until(second::output,
                lines -> lines.stream().anyMatch(l -> l.contains("/v2/test/shared/manifests/1 200") && l.endsWith(" hit"))
                        && lines.stream().anyMatch(l -> l.contains(bigLayer) && l.endsWith(" shared")));
    }

    @Test
    void twoReplicasFillingTheSameBlobAtOnceBothSucceedAndTheStoredObjectIsRight() throws Exception {
        TestImage image = TestImage.builder().seed(2).layer(30_000_000).build();
        new Pusher(upstream.url()).push("test/race", "1", image);
        TestImage.Blob layer = image.layers().get(0);
        Http a = new Http(first.url());
        Http b = new Http(second.url());
        a.get("/v2/test/race/manifests/1", "Accept", EnginePull.ACCEPT_ALL);
        b.get("/v2/test/race/manifests/1", "Accept", EnginePull.ACCEPT_ALL);

        var fa = CompletableFuture.supplyAsync(() -> a.get("/v2/test/race/blobs/" + layer.digest()));
        var fb = CompletableFuture.supplyAsync(() -> b.get("/v2/test/race/blobs/" + layer.digest()));
        assertThat(Digest.sha256(fa.get().body())).isEqualTo(layer.digest());
        assertThat(Digest.sha256(fb.get().body())).isEqualTo(layer.digest());

        String key = "mirror/blobs/sha256/" + layer.digest().hex();
        await("upload of " + layer.digest(), () -> keys(key).size() == 1);
        // Both replicas' uploads of the blob have ended (the later one may have overwritten the object).
        await("no upload pending on either replica", () -> Fleet.settled(first) && Fleet.settled(second));
        try (S3AsyncClient c = fleet.s3().client()) {
            byte[] stored = c.getObject(r -> r.bucket(Fleet.BUCKET).key(key),
                    software.amazon.awssdk.core.async.AsyncResponseTransformer.toBytes()).join().asByteArray();
            assertThat(Digest.sha256(stored)).isEqualTo(layer.digest());
        }
    }
}
