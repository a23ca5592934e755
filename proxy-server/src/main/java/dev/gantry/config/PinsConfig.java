package dev.gantry.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Duration;
import java.util.List;

/**
 * Images kept in the cache whatever its size: never evicted, their tags
 * revalidated on a schedule and whatever is missing fetched again.
 *
 * @param images images as a client names them, {@code <name>:<tag>} ({@code library/nginx:1.25},
 *     {@code ghcr.io/acme/app:stable}); pins made through the admin API come on top
 * @param revalidate how often each pinned tag is revalidated and its image warmed
 */
public record PinsConfig(
        @JsonProperty("images") List<String> images,
        @JsonProperty("revalidate") Duration revalidate) {

    public PinsConfig {
        images = images == null ? List.of() : List.copyOf(images);
        revalidate = revalidate != null ? revalidate : Duration.ofHours(1);
    }
}
