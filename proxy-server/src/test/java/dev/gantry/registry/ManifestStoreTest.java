package dev.gantry.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.oci.Digest;
import dev.gantry.registry.BlobFillTest.ManualExecutor;
import dev.gantry.registry.ManifestStore.StoredManifest;
import dev.gantry.storage.DiskMetadataStore;
import dev.gantry.storage.MetadataStore;
import dev.gantry.storage.RemoteHealth;
import dev.gantry.storage.StorageLayout;
import dev.gantry.storage.TieredMetadataStore;
import dev.gantry.testing.Awaits;
import dev.gantry.testing.MutableClock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A mirrored manifest is served before it is written; a pushed one is acknowledged after; one from its
 * fleet owner is written to the bucket by this replica only if the owner did not.
 */
class ManifestStoreTest {

    @TempDir
    Path tmp;

    private static StoredManifest manifest(String text) {
        byte[] body = ("{\"schemaVersion\":2,\"note\":\"" + text + "\"}").getBytes(StandardCharsets.UTF_8);
        return new StoredManifest(Digest.sha256(body), "application/vnd.oci.image.manifest.v1+json", body);
    }

    @Test
    void aCachedManifestIsServedAtOnceAndWrittenBehind() throws Exception {
        ManualExecutor blocking = new ManualExecutor();
        MetadataStore meta = new DiskMetadataStore(tmp);
        ManifestStore store = new ManifestStore(meta, blocking, 1 << 20);
        StoredManifest m = manifest("mirrored");

        store.cache(m);

        assertThat(store.get(m.digest()).getNow(null)).as("served from memory, nothing written yet").hasValue(m);
        assertThat(meta.exists(StorageLayout.manifestKey(m.digest()))).isFalse();
        blocking.runAll();
        ManifestStore restarted = new ManifestStore(meta, Runnable::run, 1 << 20);
        StoredManifest found = restarted.get(m.digest()).get().orElseThrow(() -> new AssertionError("not written behind"));
        assertThat(found.body()).isEqualTo(m.body());
        assertThat(found.mediaType()).isEqualTo(m.mediaType());
    }

    @Test
    void aManifestFromItsFleetOwnerIsKeptHereAndWrittenToTheBucketOnlyIfTheOwnerDidNot() throws Exception {
        DiskMetadataStore local = new DiskMetadataStore(tmp.resolve("local"));
        DiskMetadataStore bucket = new DiskMetadataStore(tmp.resolve("bucket"));
        // Bucket writes run at once, on the caller's thread: one that was queued would be in the bucket
        // before the assertions below, not after them.
        MetadataStore tiered = new TieredMetadataStore(local, bucket,
                new RemoteHealth("bucket", Clock.systemUTC(), Duration.ofSeconds(10)), Runnable::run);
        ManifestStore store = new ManifestStore(tiered, Runnable::run, 1 << 20);
        StoredManifest recorded = manifest("the owner wrote it");
        StoredManifest lost = manifest("the owner stopped before writing it");
        bucket.put(StorageLayout.manifestKey(recorded.digest()), "written by the owner".getBytes(StandardCharsets.UTF_8));

        store.cache(recorded, true);
        store.cache(lost, true);
        assertThat(local.exists(StorageLayout.manifestKey(lost.digest()))).as("kept here").isTrue();
        assertThat(bucket.exists(StorageLayout.manifestKey(lost.digest()))).as("not written to the bucket").isFalse();

        assertThat(store.recordIfTheOwnerDidNot(recorded, Duration.ZERO).get(10, TimeUnit.SECONDS)).isFalse();
        assertThat(store.recordIfTheOwnerDidNot(lost, Duration.ZERO).get(10, TimeUnit.SECONDS)).isTrue();
        Awaits.until(() -> bucket.exists(StorageLayout.manifestKey(lost.digest())), Duration.ofSeconds(10),
                "the manifest the owner did not record, in the bucket");
        assertThat(bucket.get(StorageLayout.manifestKey(recorded.digest())).orElseThrow())
                .as("what the owner wrote, untouched").isEqualTo("written by the owner".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aManifestFromItsOwnerIsWrittenBehindWhenTheBucketCannotBeAskedAtTheCheck() throws Exception {
        DiskMetadataStore local = new DiskMetadataStore(tmp.resolve("local"));
        DiskMetadataStore bucket = new DiskMetadataStore(tmp.resolve("bucket"));
        MutableClock clock = MutableClock.startingNow();
        RemoteHealth health = new RemoteHealth("bucket", clock, Duration.ofSeconds(10));
        TieredMetadataStore tiered = new TieredMetadataStore(local, bucket, health, Runnable::run);
        ManifestStore store = new ManifestStore(tiered, Runnable::run, 1 << 20);
        StoredManifest lost = manifest("the owner stopped before writing it");
        store.cache(lost, true);

        // The bucket is unwell when the check runs: the local copy, which holds the manifest, is no answer.
        health.failure("a test's outage", new java.io.IOException("down"));
        assertThat(store.recordIfTheOwnerDidNot(lost, Duration.ZERO).get(10, TimeUnit.SECONDS)).isTrue();
        assertThat(bucket.exists(StorageLayout.manifestKey(lost.digest()))).isFalse();
        assertThat(tiered.pendingWrites()).as("owed to the bucket").isEqualTo(1);

        clock.advance(Duration.ofSeconds(11));
        tiered.retryPending();
        assertThat(bucket.exists(StorageLayout.manifestKey(lost.digest()))).as("written once the bucket is back").isTrue();
    }

    @Test
    void aPushedManifestIsStoredBeforeThePutCompletes() throws Exception {
        ManualExecutor blocking = new ManualExecutor();
        MetadataStore meta = new DiskMetadataStore(tmp);
        ManifestStore store = new ManifestStore(meta, blocking, 1 << 20);
        StoredManifest m = manifest("pushed");

        CompletableFuture<Void> put = store.put(m);

        assertThat(put).isNotDone();
        blocking.runAll();
        assertThat(put).isCompleted();
        assertThat(meta.exists(StorageLayout.manifestKey(m.digest()))).isTrue();
    }
}
