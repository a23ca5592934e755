package dev.gantry.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * Manifest-triggered prefetch: when an image manifest is served, start the
 * fills of its config and layers that no tier holds, before the client asks.
 *
 * @param mode {@code off}, {@code recent} (only for repositories updated within
 *     {@code recentWithin}: the tag's digest changed, or it was first seen, or a push landed) or {@code always}
 * @param platforms for an index, these platforms' manifests and layers are
 *     prefetched too (besides the one the client then asks for)
 * @param maxConcurrent prefetch fills running at once on this replica
 * @param maxConcurrentPerUpstream fills (client and prefetch together) per upstream above which prefetch waits:
 *     client fills are never held back, so prefetch only uses spare capacity
 * @param minRateLimitRemaining no prefetch while the upstream reports fewer pulls left than this
 * @param diskReserve free space on the disk tier's file system that prefetch leaves to clients: a
 *     prefetch fill starts only if this much would still be free after it
 */
public record PrefetchConfig(
        @JsonProperty("mode") Mode mode,
        @JsonProperty("recentWithin") Duration recentWithin,
        @JsonProperty("platforms") List<String> platforms,
        @JsonProperty("maxConcurrent") Integer maxConcurrent,
        @JsonProperty("maxConcurrentPerUpstream") Integer maxConcurrentPerUpstream,
        @JsonProperty("minRateLimitRemaining") Integer minRateLimitRemaining,
        @JsonProperty("diskReserve") ByteSize diskReserve) {

    /** When to prefetch. */
    public enum Mode {
        OFF,
        RECENT,
        ALWAYS;

        /**
         * Reads {@code off}, {@code recent} or {@code always}. YAML 1.1 reads a bare {@code off}
         * (as the documentation writes it) as the boolean false, which arrives here as "false".
         */
        @JsonCreator
        public static Mode parse(String text) {
            return switch (text.trim().toLowerCase(Locale.ROOT)) {
                case "off", "false" -> OFF;
                case "recent" -> RECENT;
                case "always" -> ALWAYS;
                default -> throw new IllegalArgumentException("expected off, recent or always, not '" + text + "'");
            };
        }
    }

    public PrefetchConfig {
        mode = mode != null ? mode : Mode.RECENT;
        recentWithin = recentWithin != null ? recentWithin : Duration.ofHours(24);
        platforms = platforms != null ? List.copyOf(platforms) : List.of();
        maxConcurrent = maxConcurrent != null ? maxConcurrent : 16;
        maxConcurrentPerUpstream = maxConcurrentPerUpstream != null ? maxConcurrentPerUpstream : 12;
        minRateLimitRemaining = minRateLimitRemaining != null ? minRateLimitRemaining : 10;
        diskReserve = diskReserve != null ? diskReserve : ByteSize.parse("1GiB");
    }
}
