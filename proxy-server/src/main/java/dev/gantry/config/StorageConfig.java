package dev.gantry.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Objects;

/** The storage tiers. Disk is always present: it holds the spool of fills in progress. */
public record StorageConfig(@JsonProperty("disk") DiskConfig disk) {

    public StorageConfig {
        disk = Objects.requireNonNullElseGet(disk, () -> new DiskConfig(null, null));
    }
}
