package dev.gantry.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.oci.RepositoryName;
import dev.gantry.storage.DiskBlobStore;
import dev.gantry.storage.DiskMetadataStore;
import dev.gantry.storage.SeedJournal;
import dev.gantry.storage.StorageLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SeedPlanTest {

    @TempDir
    Path dir;

    /**
     * A pin made through the admin API before the bucket was turned on is the operator's, not a
     * cache: once the bucket is on, every replica reads pins from it alone, so the seed must copy it.
     */
    @Test
    void pinsMadeThroughTheApiBeforeTheBucketAreOwedToIt() throws Exception {
        DiskMetadataStore local = new DiskMetadataStore(dir);
        String hostedPin = StorageLayout.pinKey(Repository.HOSTED_NAMESPACE, RepositoryName.of("local/app"), "1");
        String mirroredPin = StorageLayout.pinKey("docker.io", RepositoryName.of("library/nginx"), "1.25");
        byte[] record = "{\"pinnedAt\":\"2026-12-01T10:00:00Z\",\"pinnedBy\":\"ops\"}".getBytes(StandardCharsets.UTF_8);
        local.put(hostedPin, record);
        local.put(mirroredPin, record);
        SeedJournal journal = SeedJournal.open(dir, "s3://bucket/prefix");
        try (DiskBlobStore disk = DiskBlobStore.open(dir, 1 << 20, Runnable::run, Clock.systemUTC())) {
            SeedPlan plan = SeedPlan.list(local, disk, journal);
            assertThat(plan.records()).contains(hostedPin, mirroredPin);
            assertThat(SeedPlan.neededBy(mirroredPin)).as("a pin needs nothing else in the bucket").isEmpty();

            journal.settle(hostedPin);
            assertThat(SeedPlan.list(local, disk, journal).records()).as("once settled, never offered again")
                    .contains(mirroredPin).doesNotContain(hostedPin);
        } finally {
            journal.close();
        }
    }
}
