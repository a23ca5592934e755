package dev.gantry.registry;

import dev.gantry.metrics.GantryMetrics;
import dev.gantry.upstream.RateLimitState;
import dev.gantry.upstream.Upstream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The registry's figures for operators: the gauges it registers and its part
 * of the status page (upstreams and their rate limits, tiers, fills, prefetch).
 * Reads only; changes nothing.
 */
public final class RegistryStatus {

    private final List<Upstream> upstreams;
    private final Registry.Storage storage;
    private final BucketWrites writes;
    private final FillCoordinator fills;
    private final ManifestPrefetch prefetch;
    private final GantryMetrics metrics;

    public RegistryStatus(List<Upstream> upstreams, Registry.Storage storage, BucketWrites writes, FillCoordinator fills,
                          ManifestPrefetch prefetch, GantryMetrics metrics) {
        this.upstreams = List.copyOf(upstreams);
        this.storage = storage;
        this.writes = writes;
        this.fills = fills;
        this.prefetch = prefetch;
        this.metrics = metrics;
    }

    /** Registers the registry's gauges with the metrics; call once. */
    public void registerGauges() {
        metrics.gauge("gantry_fills_in_flight", "Blob fills running now", () -> fills.inFlightCount());
        metrics.gauge("gantry_prefetch_queued", "Prefetch tasks waiting for capacity", () -> prefetch.scheduler().queued());
        metrics.gauge("gantry_prefetch_running", "Prefetch fills running now", () -> prefetch.scheduler().running());
        metrics.gauge("gantry_tier_bytes", "Bytes held per storage tier (S3: as of the last listing)", "tier", () -> {
            Map<String, Double> m = new LinkedHashMap<>();
            m.put("memory", (double) storage.memory().usedBytes());
            m.put("disk", (double) storage.disk().usedBytes());
            if (storage.s3() != null) {
                m.put("s3", (double) storage.s3().usedBytes());
            }
            return m;
        });
        metrics.gauge("gantry_upstream_ratelimit_remaining", "Pulls left as the upstream last reported (ratelimit-remaining; -1: never reported)",
                "upstream", () -> perUpstream(s -> (double) s.remaining()));
        metrics.gauge("gantry_upstream_ratelimit_limit", "Pull limit as the upstream last reported (ratelimit-limit; -1: never reported)",
                "upstream", () -> perUpstream(s -> (double) s.limit()));
        metrics.gauge("gantry_upstream_retry_after_seconds", "Time left before the upstream wants to hear from Gantry again",
                "upstream", () -> {
                    Map<String, Double> m = new LinkedHashMap<>();
                    upstreams.forEach(u -> m.put(u.name(), (double) u.rateLimit().retryAfter().toSeconds()));
                    return m;
                });
        if (storage.health() != null) {
            metrics.gauge("gantry_s3_errors", "S3 tier failures since start-up", () -> storage.health().failures());
            metrics.gauge("gantry_s3_pending_uploads", "Uploads to S3 waiting for a retry", () -> writes.pending());
        }
    }

    private Map<String, Double> perUpstream(Function<RateLimitState.Snapshot, Double> f) {
        Map<String, Double> m = new LinkedHashMap<>();
        upstreams.forEach(u -> m.put(u.name(), f.apply(u.rateLimit().snapshot())));
        return m;
    }

    /** The operator's view: upstreams and their rate limits, tiers, fills, prefetch. */
    public Map<String, Object> status() {
        Map<String, Object> out = new LinkedHashMap<>();
        List<Map<String, Object>> ups = upstreams.stream().map(u -> {
            RateLimitState.Snapshot s = u.rateLimit().snapshot();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", u.name());
            m.put("url", u.base().toString());
            m.put("default", u.isDefault());
            m.put("authenticated", u.hasCredentials());
            Map<String, Object> rl = new LinkedHashMap<>();
            rl.put("limit", s.limit());
            rl.put("remaining", s.remaining());
            rl.put("windowSeconds", s.window() == null ? null : s.window().toSeconds());
            rl.put("backingOff", u.rateLimit().backingOff());
            rl.put("retryAfterSeconds", u.rateLimit().retryAfter().toSeconds());
            rl.put("updatedAt", s.updatedAt() == null ? null : s.updatedAt().toString());
            m.put("rateLimit", rl);
            m.put("fillsInFlight", fills.inFlight(u.name()));
            return m;
        }).toList();
        out.put("upstreams", ups);
        Map<String, Object> tierStatus = new LinkedHashMap<>();
        long maxMemory = storage.memory().maxBlobBytes() > 0 ? storage.memory().maxBytes() : 0;
        tierStatus.put("memory", tier(storage.memory().usedBytes(), maxMemory, "memory"));
        tierStatus.put("disk", tier(storage.disk().usedBytes(), storage.disk().maxBytes(), "disk"));
        if (storage.s3() != null) {
            Map<String, Object> s3 = tier(storage.s3().usedBytes(), -1, "s3");
            s3.put("healthy", storage.health().available());
            s3.put("failures", storage.health().failures());
            s3.put("pendingUploads", writes.pending());
            tierStatus.put("s3", s3);
        }
        out.put("tiers", tierStatus);
        out.put("fillsInFlight", fills.inFlightCount());
        out.put("prefetch", prefetch.status());
        return out;
    }

    /**
     * A tier's use and how well it answers. Every blob read asks the memory tier
     * first, then disk, then S3, so {@code hitRatio} is the share of all blob
     * reads answered by this tier or a faster one (the disk tier holds every
     * blob the memory tier does), and {@code servedRatio} the share this tier
     * answered itself; both null before the first read.
     */
    private Map<String, Object> tier(long used, long max, String name) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("usedBytes", used);
        m.put("maxBytes", max);
        double reads = metrics.value("gantry_tier_reads_total", "memory", "hit")
                + metrics.value("gantry_tier_reads_total", "memory", "miss");
        double answeredUpTo = 0;
        for (String t : List.of("memory", "disk", "s3")) {
            answeredUpTo += metrics.value("gantry_tier_reads_total", t, "hit");
            if (t.equals(name)) {
                break;
            }
        }
        double served = metrics.value("gantry_tier_reads_total", name, "hit");
        m.put("hitRatio", reads == 0 ? null : answeredUpTo / reads);
        m.put("servedRatio", reads == 0 ? null : served / reads);
        return m;
    }
}
