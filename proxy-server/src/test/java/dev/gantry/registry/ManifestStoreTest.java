package dev.gantry.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.oci.Digest;
import dev.gantry.registry.BlobFillTest.ManualExecutor;
import dev.gantry.registry.ManifestStore.StoredManifest;
import dev.gantry.storage.DiskMetadataStore;
import dev.gantry.storage.MetadataStore;
import dev.gantry.storage.StorageLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A mirrored manifest is served before it is written; a pushed one is acknowledged after. */
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
