package dev.gantry.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Objects;

/**
 * The storage tiers, read in order memory → disk → S3 → upstream. Disk is
 * always present: it holds the spool of fills in progress, and with S3
 * configured it can be reduced to a small local cache.
 */
public record StorageConfig(
        @JsonProperty("memory") MemoryConfig memory,
        @JsonProperty("disk") DiskConfig disk,
        @JsonProperty("s3") S3Config s3) {

    public StorageConfig {
        memory = Objects.requireNonNullElseGet(memory, () -> new MemoryConfig(null, null));
        disk = Objects.requireNonNullElseGet(disk, () -> new DiskConfig(null, null));
        s3 = Objects.requireNonNullElseGet(s3, () -> new S3Config(null, null, null, null, null, null, null, null, null));
    }

    public StorageConfig(DiskConfig disk) {
        this(null, disk, null);
    }
}
