package dev.gantry.it.storage;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.gantry.oci.Digest;
import dev.gantry.oci.MediaTypes;
import dev.gantry.storage.RemoteHealth;
import dev.gantry.testing.DistributionRegistry;
import dev.gantry.testing.GantryServer;
import dev.gantry.testing.Http;
import dev.gantry.testing.MutableClock;
import dev.gantry.testing.Pusher;
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
import software.amazon.awssdk.services.s3.S3AsyncClient;

/** With S3 down, requests are served from the other tiers or upstream; S3 writes are retried when it is back. */
class S3OutageIT {

    private static final String ACCEPT = String.join(", ", MediaTypes.MANIFEST_TYPES);

    @TempDir
    Path tmp;

    private DistributionRegistry upstream;
    private S3ProxyServer s3;
    private GantryServer gantry;
    private final MutableClock clock = MutableClock.startingNow();

    @BeforeEach
    void start() {
        upstream = DistributionRegistry.start(tmp.resolve("upstream"));
        s3 = S3ProxyServer.start(tmp.resolve("s3"));
        s3.createBucket("gantry");
        gantry = GantryServer.start("upstreams:\n  - name: docker.io\n    url: " + upstream.url() + "\n    default: true\n"
                + "storage:\n  disk:\n    path: " + tmp.resolve("data") + "\n" + s3.yaml("gantry", ""), tmp, clock);
    }

    @AfterEach
    void stop() {
        gantry.close();
        s3.close();
        upstream.close();
    }

    private List<String> blobKeys() {
        try (S3AsyncClient c = s3.client()) {
            return c.listObjectsV2(b -> b.bucket("gantry").prefix("blobs/")).join().contents().stream().map(o -> o.key()).toList();
        }
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
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (blobKeys().size() < fresh.blobs().size() + cached.blobs().size() && System.nanoTime() < deadline) {
            Thread.sleep(200);
            gantry.gantry().retryShared();
        }
        for (TestImage.Blob b : fresh.blobs()) {
            assertThat(blobKeys()).as("uploaded after S3 came back").contains("blobs/sha256/" + b.digest().hex());
        }
        assertThat(gantry.gantry().registry().pendingUploads()).isZero();
    }

    private static void pull(Http http, String repo, TestImage image) {
        Http.Response m = http.get("/v2/" + repo + "/manifests/1", "Accept", ACCEPT);
        assertThat(m.status()).as(m.text()).isEqualTo(200);
        for (TestImage.Blob b : image.blobs()) {
            Http.Response blob = http.get("/v2/" + repo + "/blobs/" + b.digest());
            assertThat(blob.status()).as(blob.text()).isEqualTo(200);
            assertThat(Digest.sha256(blob.body())).isEqualTo(b.digest());
        }
    }
}
