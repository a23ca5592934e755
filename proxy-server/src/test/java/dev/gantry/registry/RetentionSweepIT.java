package dev.gantry.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.oci.Digest;
import dev.gantry.oci.RepositoryName;
import dev.gantry.storage.S3BlobStore;
import dev.gantry.storage.S3Bucket;
import dev.gantry.storage.S3MetadataStore;
import dev.gantry.storage.StorageLayout;
import dev.gantry.testing.CountingMetadataStore;
import dev.gantry.testing.MutableClock;
import dev.gantry.testing.S3ProxyServer;
import dev.gantry.testing.TestImage;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The S3 retention sweep against a real S3 API server, with a clock moved by hand. */
class RetentionSweepIT {

    @TempDir
    static Path tmp;

    static S3ProxyServer server;

    @BeforeAll
    static void start() {
        server = S3ProxyServer.start(tmp.resolve("s3"));
        server.createBucket("sweep");
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void removesOnlyBlobsUnreadForTheRetentionThatNoRetainedManifestReferences() throws Exception {
        MutableClock clock = MutableClock.startingNow();
        var bucket = S3Bucket.open(server.config("sweep", "r/"));
        S3BlobStore s3 = new S3BlobStore(bucket, tmp.resolve("spool"), clock, 200_000, 200_000);
        S3MetadataStore meta = new S3MetadataStore(bucket);

        TestImage tagged = TestImage.builder().seed(1).layer(1000).build();
        TestImage recentlyRead = TestImage.builder().seed(2).layer(1000).build();
        TestImage forgotten = TestImage.builder().seed(3).layer(1000).build();
        TestImage amd = TestImage.builder().seed(4).layer(1000).platform("linux", "amd64").build();
        TestImage.Index index = TestImage.Index.of(List.of(amd), false);
        TestImage.Blob stray = TestImage.builder().seed(5).layer(1000).build().layers().get(0);
        TestImage.Blob readStray = TestImage.builder().seed(6).layer(1000).build().layers().get(0);
        TestImage.Blob pushed = TestImage.builder().seed(7).layer(1000).build().layers().get(0);

        for (TestImage img : List.of(tagged, recentlyRead, forgotten, amd)) {
            for (TestImage.Blob b : img.blobs()) {
                upload(s3, b);
            }
            storeManifest(meta, img.manifest());
        }
        storeManifest(meta, index.manifest());
        upload(s3, stray);
        upload(s3, readStray);
        upload(s3, pushed);
        // Pushed to a hosted repository and never tagged: it exists nowhere else.
        meta.put(StorageLayout.linkKey(Repository.HOSTED_NAMESPACE,
                RepositoryName.of("team/tool"), pushed.digest()), new byte[0]);
        tag(meta, "test/tagged", "1", tagged.manifest());
        tag(meta, "test/multi", "1", index.manifest());

        clock.advance(Duration.ofDays(31));
        s3.touch(recentlyRead.digest()).join();
        s3.touch(readStray.digest()).join();

        RetentionSweep.Result result = new RetentionSweep(s3, meta, Duration.ofDays(30), clock).sweep();

        for (TestImage kept : List.of(tagged, recentlyRead, amd)) {
            for (TestImage.Blob b : kept.blobs()) {
                assertThat(s3.stat(b.digest()).join()).as("kept: blob of a retained manifest").isPresent();
            }
        }
        assertThat(s3.stat(readStray.digest()).join()).as("kept: read within the retention").isPresent();
        assertThat(s3.stat(stray.digest()).join()).as("removed: unread and unreferenced").isEmpty();
        assertThat(s3.stat(pushed.digest()).join()).as("kept: held by a hosted repository").isPresent();
        for (TestImage.Blob b : forgotten.blobs()) {
            assertThat(s3.stat(b.digest()).join()).as("removed: only an old untagged manifest names it").isEmpty();
        }
        assertThat(meta.get(StorageLayout.manifestKey(forgotten.digest()))).isEmpty();
        assertThat(meta.get(StorageLayout.manifestKey(amd.digest()))).as("child of a tagged index").isPresent();
        assertThat(result.blobsRemoved()).isEqualTo(1 + forgotten.blobs().size());
        assertThat(result.manifestsRemoved()).isEqualTo(1);
        bucket.close();
    }

    /**
     * A sweep takes minutes: a push while it runs links a blob the bucket already held (an old, unread copy) and
     * stores a manifest after the sweep listed the links. Neither goes: what a sweep found at its start is
     * checked again before it deletes.
     */
    @Test
    void whatAPushLinksWhileTheSweepRunsIsKept() throws Exception {
        MutableClock clock = MutableClock.startingNow();
        var bucket = S3Bucket.open(server.config("sweep", "race/"));
        S3BlobStore s3 = new S3BlobStore(bucket, tmp.resolve("spool-race"), clock, 200_000, 200_000);
        S3MetadataStore shared = new S3MetadataStore(bucket);
        CountingMetadataStore meta = new CountingMetadataStore(shared);
        TestImage image = TestImage.builder().seed(8).layer(1000).build();
        for (TestImage.Blob b : image.blobs()) {
            upload(s3, b); // pulled long ago through a mirror, never read since
        }
        clock.advance(Duration.ofDays(31));
        // Between the sweep's first listings and its deletions, the image is pushed to a hosted repository:
        // its blobs are in the bucket already (no upload), its manifest and links are written, today's read noted.
        meta.beforeListing("manifests/", () -> {
            try {
                storeManifest(shared, image.manifest());
                for (TestImage.Blob b : List.of(image.manifest(), image.config(), image.layers().get(0))) {
                    shared.put(StorageLayout.linkKey(Repository.HOSTED_NAMESPACE, RepositoryName.of("team/pushed"), b.digest()),
                            new byte[0]);
                }
                s3.touch(image.layers().get(0).digest()).join();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });

        RetentionSweep.Result result = new RetentionSweep(s3, meta, Duration.ofDays(30), clock).sweep();

        for (TestImage.Blob b : image.blobs()) {
            assertThat(s3.stat(b.digest()).join()).as("kept: %s, linked by a push during the sweep", b.digest()).isPresent();
        }
        assertThat(shared.get(StorageLayout.manifestKey(image.digest()))).as("the pushed manifest").isPresent();
        assertThat(result.blobsRemoved()).isZero();
        assertThat(result.manifestsRemoved()).isZero();
        bucket.close();
    }

    /**
     * Access markers do not pile up: a marker of a digest the bucket never held (a read of a manifest only
     * another store had) or no longer holds goes once old, and a kept manifest read on many days keeps its newest.
     */
    @Test
    void accessMarkersOfWhatIsGoneAreForgottenAndAManifestKeepsItsNewest() throws Exception {
        MutableClock clock = MutableClock.startingNow();
        var bucket = S3Bucket.open(server.config("sweep", "markers/"));
        S3BlobStore s3 = new S3BlobStore(bucket, tmp.resolve("spool-markers"), clock, 200_000, 200_000);
        S3MetadataStore meta = new S3MetadataStore(bucket);
        TestImage tagged = TestImage.builder().seed(9).layer(1000).build();
        for (TestImage.Blob b : tagged.blobs()) {
            upload(s3, b);
        }
        storeManifest(meta, tagged.manifest());
        tag(meta, "test/read-often", "1", tagged.manifest());
        Digest nowhere = Digest.sha256("a manifest this bucket never held".getBytes(StandardCharsets.UTF_8));
        s3.touch(nowhere).join();
        for (int day = 0; day < 3; day++) { // read on three days
            s3.touch(tagged.digest()).join();
            clock.advance(Duration.ofDays(1));
        }
        clock.advance(Duration.ofDays(31));
        s3.touch(tagged.digest()).join();

        RetentionSweep.Result result = new RetentionSweep(s3, meta, Duration.ofDays(30), clock).sweep();

        assertThat(result.markersForgotten()).isEqualTo(1);
        assertThat(s3.lastAccess(nowhere)).as("markers of a digest the bucket does not hold").isNull();
        assertThat(markers(tagged.digest())).as("markers of the tagged manifest, read on four days").isEqualTo(1);
        bucket.close();
    }

    private long markers(Digest d) {
        return server.client().listObjectsV2(b -> b.bucket("sweep")
                .prefix("markers/access/" + d.algorithm() + "/" + d.hex() + "/")).join().contents().stream()
                .filter(o -> !o.key().endsWith("/")).count();
    }

    private static void upload(S3BlobStore s3, TestImage.Blob b) throws Exception {
        var w = s3.newWriter(b.digest(), b.bytes().length);
        w.write(ByteBuffer.wrap(b.bytes()));
        w.commit();
    }

    private static void storeManifest(S3MetadataStore meta, TestImage.Blob m) throws Exception {
        byte[] type = (m.mediaType() + "\n").getBytes(StandardCharsets.UTF_8);
        byte[] record = new byte[type.length + m.bytes().length];
        System.arraycopy(type, 0, record, 0, type.length);
        System.arraycopy(m.bytes(), 0, record, type.length, m.bytes().length);
        meta.put(StorageLayout.manifestKey(m.digest()), record);
    }

    private static void tag(S3MetadataStore meta, String repo, String tag, TestImage.Blob m) throws Exception {
        String json = "{\"digest\":\"" + m.digest() + "\",\"mediaType\":\"" + m.mediaType() + "\",\"checkedAt\":\""
                + Instant.now() + "\",\"changedAt\":\"" + Instant.now() + "\"}";
        meta.put("repositories/docker.io/" + repo + "/_tags/" + tag, json.getBytes(StandardCharsets.UTF_8));
    }

}
