package dev.gantry.it.storage;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.gantry.oci.Digest;
import dev.gantry.storage.RemoteHealth;
import dev.gantry.testing.Awaits;
import dev.gantry.testing.DistributionRegistry;
import dev.gantry.testing.EnginePull;
import dev.gantry.testing.GantryServer;
import dev.gantry.testing.Http;
import dev.gantry.testing.MirrorWithBucket;
import dev.gantry.testing.MutableClock;
import dev.gantry.testing.Pusher;
import dev.gantry.testing.RawClient;
import dev.gantry.testing.S3ProxyServer;
import dev.gantry.testing.TestImage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.services.s3.S3AsyncClient;

/** With S3 down, requests are served from the other tiers or upstream; S3 writes are retried when it is back. */
class S3OutageIT {

    @TempDir
    Path tmp;

    private MirrorWithBucket world;
    private DistributionRegistry upstream;
    private S3ProxyServer s3;
    private GantryServer gantry;
    private final MutableClock clock = MutableClock.startingNow();

    @BeforeEach
    void start() {
        world = MirrorWithBucket.start(tmp);
        upstream = world.upstream();
        s3 = world.s3();
        gantry = GantryServer.start(world.gantryYaml(tmp.resolve("data"), "", ""), tmp, clock);
    }

    @AfterEach
    void stop() {
        gantry.close();
        world.close();
    }

    private List<String> blobKeys() {
        return world.keys("blobs/");
    }

    @Test
    void noRequestFailsBecauseS3IsDownAndItCatchesUpWhenBack() throws Exception {
        TestImage cached = TestImage.builder().seed(1).layer(500_000).build();
        TestImage fresh = TestImage.builder().seed(2).layer(700_000).layer(100_000).build();
        Pusher pusher = new Pusher(upstream.url());
        pusher.push("test/cached", "1", cached);
        pusher.push("test/fresh", "1", fresh);
        Http http = new Http(gantry.url());
        pull(http, "test/cached", cached);

        Logger log = (Logger) LoggerFactory.getLogger(RemoteHealth.class);
        ListAppender<ILoggingEvent> warnings = new ListAppender<>();
        warnings.start();
        log.addAppender(warnings);
        try {
            s3.stop();
            // Pulls keep working: cached content from disk, new content from upstream.
            for (int i = 0; i < 3; i++) {
                pull(http, "test/cached", cached);
            }
            pull(http, "test/fresh", fresh);
            clock.advance(Duration.ofSeconds(61));
            pull(http, "test/fresh", fresh);
        } finally {
            log.detachAppender(warnings);
        }
        assertThat(warnings.list).as("S3 failures are logged once per burst").hasSizeBetween(1, 2);
        assertThat(warnings.list.get(0).getFormattedMessage()).contains("S3 tier").contains("retrying later");
        assertThat(gantry.gantry().registry().pendingUploads()).as("uploads waiting for S3").isGreaterThan(0);

        s3.restart();
        clock.advance(Duration.ofSeconds(30));
        gantry.gantry().retryShared();
        Awaits.until(() -> {
            gantry.gantry().retryShared();
            return blobKeys().size();
        }, uploaded -> uploaded >= fresh.blobs().size() + cached.blobs().size(), Duration.ofSeconds(30));
        for (TestImage.Blob b : fresh.blobs()) {
            assertThat(blobKeys()).as("uploaded after S3 came back").contains("blobs/sha256/" + b.digest().hex());
        }
        assertThat(gantry.gantry().registry().pendingUploads()).isZero();
    }

    /**
     * A shared copy that turns out corrupt fails the fill that read it, and is not read again: the next request,
     * after S3's cooldown too, is filled from the upstream, whose upload writes the copy again.
     */
    @Test
    void aCorruptSharedCopyIsReadOnceThenReplacedFromUpstream() throws Exception {
        TestImage image = TestImage.builder().seed(3).layer(600_000).build();
        new Pusher(upstream.url()).push("test/corrupt", "1", image);
        Http http = new Http(gantry.url());
        pull(http, "test/corrupt", image);
        TestImage.Blob layer = image.layers().get(0);
        String key = "blobs/sha256/" + layer.digest().hex();
        Awaits.until(() -> blobKeys().contains(key), Duration.ofSeconds(30), "the layer's upload");

        byte[] corrupt = layer.bytes().clone();
        corrupt[corrupt.length / 2] ^= 0x55;
        try (S3AsyncClient c = s3.client()) {
            c.putObject(r -> r.bucket(MirrorWithBucket.BUCKET).key(key), AsyncRequestBody.fromBytes(corrupt)).join();
        }
        gantry.gantry().memory().delete(layer.digest()).join();
        gantry.gantry().disk().delete(layer.digest()).join();

        // The first read after the copy went bad fails (its bytes were streamed as they came): never whole.
        try (RawClient c = RawClient.get(gantry.hostPort(), "/v2/test/corrupt/blobs/" + layer.digest(), 0)) {
            if (c.status() == 200) {
                assertThat(c.readRest(0).length).as("a corrupt copy must not arrive whole").isLessThan(layer.bytes().length);
            }
        }
        clock.advance(Duration.ofMinutes(5)); // past S3's cooldown
        upstream.resetLog();
        Http.Response again = http.get("/v2/test/corrupt/blobs/" + layer.digest());
        assertThat(again.status()).isEqualTo(200);
        assertThat(Digest.sha256(again.body())).isEqualTo(layer.digest());
        assertThat(upstream.count(DistributionRegistry.Request::isBlobGet)).as("filled from the upstream").isEqualTo(1);
        Awaits.until(() -> {
            try (S3AsyncClient c = s3.client()) {
                return Digest.sha256(c.getObject(r -> r.bucket(MirrorWithBucket.BUCKET).key(key),
                        AsyncResponseTransformer.toBytes()).join().asByteArray()).equals(layer.digest());
            }
        }, Duration.ofSeconds(30), "the shared copy written again");
    }

    private static void pull(Http http, String repo, TestImage image) {
        EnginePull.pull(http, repo, "1", image);
    }
}
