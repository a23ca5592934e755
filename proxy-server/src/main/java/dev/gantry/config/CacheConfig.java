package dev.gantry.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Duration;

/**
 * How long answers are trusted.
 *
 * @param tagTtl a tag is revalidated upstream (with HEAD) once older than this
 * @param notFoundTtl an upstream 404 for a tag or blob is remembered this long
 * @param manifestMemory bytes of manifests and tag entries kept in memory
 * @param uploadExpiry an upload session (push) idle this long is discarded
 * @param pins images kept whatever the cache's size, and how often they are revalidated
 */
public record CacheConfig(
        @JsonProperty("tagTtl") Duration tagTtl,
        @JsonProperty("notFoundTtl") Duration notFoundTtl,
        @JsonProperty("manifestMemory") ByteSize manifestMemory,
        @JsonProperty("uploadExpiry") Duration uploadExpiry,
        @JsonProperty("pins") PinsConfig pins) {

    public CacheConfig {
        tagTtl = tagTtl != null ? tagTtl : Duration.ofSeconds(60);
        notFoundTtl = notFoundTtl != null ? notFoundTtl : Duration.ofSeconds(10);
        manifestMemory = manifestMemory != null ? manifestMemory : ByteSize.ofMebibytes(32);
        uploadExpiry = uploadExpiry != null ? uploadExpiry : Duration.ofHours(1);
        pins = pins != null ? pins : new PinsConfig(null, null);
    }
}
