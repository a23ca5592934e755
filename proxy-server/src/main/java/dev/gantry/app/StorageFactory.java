package dev.gantry.app;

import dev.gantry.config.CacheConfig;
import dev.gantry.config.StorageConfig;
import dev.gantry.registry.Registry;
import dev.gantry.storage.DiskBlobStore;
import dev.gantry.storage.DiskMetadataStore;
import dev.gantry.storage.LocalUntilSeeded;
import dev.gantry.storage.MemoryBlobStore;
import dev.gantry.storage.MetadataStore;
import dev.gantry.storage.RemoteHealth;
import dev.gantry.storage.S3BlobStore;
import dev.gantry.storage.S3Bucket;
import dev.gantry.storage.S3MetadataStore;
import dev.gantry.storage.SeedJournal;
import dev.gantry.storage.StorageLayout;
import dev.gantry.storage.TieredMetadataStore;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Opens the configured tiers: memory (when enabled), disk (always), S3 (when a bucket is set). */
final class StorageFactory {

    private static final Logger log = LoggerFactory.getLogger(StorageFactory.class);

    private StorageFactory() {
    }

    /**
     * The open tiers, and what closes them.
     *
     * @param localMeta this replica's own metadata (with a bucket, the local copy behind {@code meta})
     * @param seeding with a bucket, {@code meta}: the shared store, reading what this disk still owes the bucket locally
     */
    record Opened(MemoryBlobStore memory, DiskBlobStore disk, S3Bucket bucket, S3BlobStore s3, RemoteHealth health,
                  MetadataStore meta, TieredMetadataStore tiered, S3MetadataStore sharedMeta, DiskMetadataStore localMeta,
                  LocalUntilSeeded seeding) implements AutoCloseable {

        Registry.Storage registryStorage() {
            return new Registry.Storage(memory, disk, s3, health, meta, sharedMeta);
        }

        boolean shared() {
            return bucket != null;
        }

        void retryPending() {
            if (tiered != null) {
                tiered.retryPending();
            }
        }

        @Override
        public void close() {
            memory.close();
            disk.close();
            if (bucket != null) {
                bucket.close();
            }
        }
    }

    static Opened open(StorageConfig config, CacheConfig.Entries sizes, Executor blocking, Clock clock) throws IOException {
        long memoryBytes = config.memory().maxBytes().bytes();
        MemoryBlobStore memory = new MemoryBlobStore(memoryBytes, config.memory().maxBlobBytes().bytes(), clock);
        Path root = Path.of(config.disk().path());
        DiskBlobStore disk = DiskBlobStore.open(root, config.disk().maxBytes().bytes(), blocking, clock);
        DiskMetadataStore localMeta = new DiskMetadataStore(root);
        if (!config.s3().enabled()) {
            return new Opened(memory, disk, null, null, null, localMeta, null, null, localMeta, null);
        }
        S3Bucket bucket = S3Bucket.open(config.s3());
        RemoteHealth health = new RemoteHealth("S3 tier " + bucket, clock, Duration.ofSeconds(10));
        S3BlobStore s3 = new S3BlobStore(bucket, StorageLayout.spoolDir(root.toAbsolutePath().normalize()), clock,
                sizes.s3Sizes(), sizes.s3Touched());
        S3MetadataStore sharedMeta = new S3MetadataStore(bucket);
        TieredMetadataStore tiered = new TieredMetadataStore(localMeta, sharedMeta, health, blocking);
        // The same bucket reached at another address is the same bucket: its name and prefix say which.
        LocalUntilSeeded seeding = new LocalUntilSeeded(tiered, localMeta,
                SeedJournal.open(root.toAbsolutePath().normalize(), bucket.toString()));
        log.info("shared tier {} ({})", bucket, config.s3());
        return new Opened(memory, disk, bucket, s3, health, seeding, tiered, sharedMeta, localMeta, seeding);
    }
}
