package dev.gantry.config;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The embedded disk tier.
 *
 * @param path directory of blobs, metadata and the spool; created if missing
 * @param maxBytes blob bytes kept before the least recently used are evicted
 */
public record DiskConfig(@JsonProperty("path") String path, @JsonProperty("maxBytes") ByteSize maxBytes) {

    public DiskConfig {
        path = path != null ? path : "./data";
        maxBytes = maxBytes != null ? maxBytes : ByteSize.parse("20GiB");
    }
}
