package dev.gantry.metrics;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleSupplier;
import java.util.function.Supplier;

/**
 * Every metric Gantry exports, in one registry owned by the application
 * (no static collectors). Components record through the typed methods
 * below; {@link #scrape()} renders the Prometheus text format for
 * {@code GET /metrics}. Thread-safe.
 */
public final class GantryMetrics {

    private static final double[] DURATION_BUCKETS = {
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300};

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();

    private final Counter httpRequests = Counter.builder().name("gantry_http_requests_total")
            .help("HTTP requests answered, by route, method and status").labelNames("route", "method", "status").register(registry);
    private final Counter httpBytes = Counter.builder().name("gantry_http_response_bytes_total")
            .help("Response body bytes sent, by route").labelNames("route").register(registry);
    private final Histogram httpDuration = Histogram.builder().name("gantry_http_request_duration_seconds")
            .help("Time from request to the last byte of the response, by route").labelNames("route")
            .classicOnly().classicUpperBounds(DURATION_BUCKETS).register(registry);
    private final Counter cache = Counter.builder().name("gantry_cache_requests_total")
            .help("Manifest and blob requests by how they were answered (hit, miss, joined, shared, revalidated, stale, negative, upstream)")
            .labelNames("kind", "outcome").register(registry);
    private final Counter tierReads = Counter.builder().name("gantry_tier_reads_total")
            .help("Blob reads by storage tier and result (hit or miss)").labelNames("tier", "result").register(registry);
    private final Counter fills = Counter.builder().name("gantry_fills_total")
            .help("Blob fills finished, by source (upstream, shared, fleet: the owning replica) and result (committed, failed)").labelNames("source", "result").register(registry);
    private final Counter fillWaiters = Counter.builder().name("gantry_fill_waiters_joined_total")
            .help("Requests that joined a fill another request started").register(registry);
    private final Counter upstreamRequests = Counter.builder().name("gantry_upstream_requests_total")
            .help("Requests to upstream registries by kind (manifest_get counts as a Docker Hub pull) and status (-1: no response)")
            .labelNames("upstream", "kind", "status").register(registry);
    private final Counter servedFromCache = Counter.builder().name("gantry_cache_served_bytes_total")
            .help("Response body bytes of manifests and blobs answered from the cache without fetching them upstream (hit, shared, "
                    + "revalidated, stale): bytes saved upstream").register(registry);
    private final Counter stale = Counter.builder().name("gantry_stale_serves_total")
            .help("Manifests served stale because upstream failed or rate-limited, by reason").labelNames("reason").register(registry);
    private final Counter prefetch = Counter.builder().name("gantry_prefetch_total")
            .help("Prefetched blobs: issued (a fill started), used (a client asked later), wasted (evicted unused), skipped (by reason)")
            .labelNames("result").register(registry);
    private final Counter prefetchManifests = Counter.builder().name("gantry_prefetch_manifests_total")
            .help("Manifests served, by what prefetch decided: planned (its blobs were considered), off, not_recent, unparsable")
            .labelNames("decision").register(registry);
    private final Counter evictions = Counter.builder().name("gantry_evictions_total")
            .help("Blobs evicted, by tier").labelNames("tier").register(registry);
    private final Counter evictedBytes = Counter.builder().name("gantry_evicted_bytes_total")
            .help("Bytes evicted, by tier").labelNames("tier").register(registry);
    private final Counter scans = Counter.builder().name("gantry_scans_total")
            .help("Layer scans finished, by result").labelNames("result").register(registry);
    private final Counter scanBytes = Counter.builder().name("gantry_scan_bytes_total")
            .help("Compressed layer bytes scanned").register(registry);
    private final Histogram scanDuration = Histogram.builder().name("gantry_scan_duration_seconds")
            .help("Time to scan one layer").classicOnly().classicUpperBounds(DURATION_BUCKETS).register(registry);

    /** Cache outcomes whose content the upstream did not send. */
    private static final List<String> SAVED_OUTCOMES = List.of("hit", "shared", "revalidated", "stale");

    /** Results a layer scan ends with; also the status page's keys. */
    public static final List<String> SCAN_RESULTS = List.of("complete", "partial", "failed", "rejected");

    /**
     * Registers the JVM's and the process's own series (memory pools, GC,
     * threads, CPU, open file descriptors, resident memory) beside Gantry's,
     * and puts every counter whose labels are known in advance at zero, so
     * dashboards and {@code rate()} see a series from the start rather than
     * from its first event.
     */
    public GantryMetrics() {
        JvmMetrics.builder().register(registry);
        for (String kind : List.of("manifest", "blob")) {
            for (String outcome : List.of("hit", "shared", "miss", "joined", "revalidated", "stale", "negative", "upstream")) {
                cache.labelValues(kind, outcome);
            }
        }
        for (String tier : List.of("memory", "disk", "s3")) {
            tierReads.labelValues(tier, "hit");
            tierReads.labelValues(tier, "miss");
            evictions.labelValues(tier);
            evictedBytes.labelValues(tier);
        }
        for (String source : List.of("upstream", "shared", "fleet")) {
            fills.labelValues(source, "committed");
            fills.labelValues(source, "failed");
        }
        for (String result : List.of("issued", "used", "wasted", "skipped_cached")) {
            prefetch.labelValues(result);
        }
        for (String decision : List.of("planned", "off", "not_recent", "unparsable")) {
            prefetchManifests.labelValues(decision);
        }
        SCAN_RESULTS.forEach(scans::labelValues);
        // The usual reasons; an unusual upstream status adds its own series when it happens.
        for (String reason : List.of("rate-limited", "upstream-timeout", "upstream-unreachable")) {
            stale.labelValues(reason);
        }
    }

    /** Puts an upstream's request counters at zero for the request kinds Gantry sends, before the first request. */
    public void upstreamKnown(String upstream, List<String> kinds) {
        kinds.forEach(kind -> upstreamRequests.labelValues(upstream, kind, "200"));
    }

    /** One completed HTTP exchange. */
    public void httpRequest(String route, String method, int status, long bytes, long nanos) {
        httpRequests.labelValues(route, method, Integer.toString(status)).inc();
        httpBytes.labelValues(route).inc(bytes);
        httpDuration.labelValues(route).observe(nanos / 1e9);
    }

    /**
     * The body bytes of one answered request, counted as saved upstream when
     * its cache outcome says the content did not come from the upstream.
     */
    public void responseBytes(String outcome, long bytes) {
        if (SAVED_OUTCOMES.contains(outcome)) {
            servedFromCache.inc(bytes);
        }
    }

    /** Bytes answered from the cache so far (see {@link #responseBytes}). */
    public double servedFromCacheBytes() {
        return servedFromCache.get();
    }

    /** How a manifest or blob request was answered. */
    public void cacheOutcome(String kind, String outcome) {
        cache.labelValues(kind, outcome).inc();
    }

    public void tierRead(String tier, boolean hit) {
        tierReads.labelValues(tier, hit ? "hit" : "miss").inc();
    }

    public void fillFinished(String source, boolean committed) {
        fills.labelValues(source, committed ? "committed" : "failed").inc();
    }

    public void fillJoined() {
        fillWaiters.inc();
    }

    public void upstreamRequest(String upstream, String kind, int status) {
        upstreamRequests.labelValues(upstream, kind, Integer.toString(status)).inc();
    }

    public void staleServe(String reason) {
        stale.labelValues(reason).inc();
    }

    /** {@code issued}, {@code used}, {@code wasted} or {@code skipped_<reason>}. */
    public void prefetch(String result) {
        prefetch.labelValues(result).inc();
    }

    public double prefetchCount(String result) {
        return prefetch.labelValues(result).get();
    }

    /** What prefetch decided for a manifest served; counted once every blob it names was considered. */
    public void prefetchManifest(String decision) {
        prefetchManifests.labelValues(decision).inc();
    }

    public void eviction(String tier, long bytes) {
        evictions.labelValues(tier).inc();
        evictedBytes.labelValues(tier).inc(bytes);
    }

    public void scanFinished(String result, long bytes, long nanos) {
        scans.labelValues(result).inc();
        scanBytes.inc(bytes);
        scanDuration.observe(nanos / 1e9);
    }

    /** A layer's findings another fleet member stored, taken instead of scanning it here. */
    public void scanAdopted() {
        scans.labelValues("adopted").inc();
    }

    /** A gauge read when scraped, e.g. fills in flight or bytes held by a tier. */
    public void gauge(String name, String help, DoubleSupplier value) {
        GaugeWithCallback.builder().name(name).help(help).callback(cb -> cb.call(value.getAsDouble())).register(registry);
    }

    /** A gauge with one label whose values are read when scraped (per upstream, per tier). */
    public void gauge(String name, String help, String label, Supplier<Map<String, Double>> values) {
        GaugeWithCallback.builder().name(name).help(help).labelNames(label)
                .callback(cb -> values.get().forEach((k, v) -> cb.call(v, k))).register(registry);
    }

    /** A counter's current value, for the status page and tests. */
    public double value(String metric, String... labels) {
        return switch (metric) {
            case "gantry_http_requests_total" -> httpRequests.labelValues(labels).get();
            case "gantry_cache_requests_total" -> cache.labelValues(labels).get();
            case "gantry_tier_reads_total" -> tierReads.labelValues(labels).get();
            case "gantry_upstream_requests_total" -> upstreamRequests.labelValues(labels).get();
            case "gantry_prefetch_total" -> prefetch.labelValues(labels).get();
            case "gantry_prefetch_manifests_total" -> prefetchManifests.labelValues(labels).get();
            case "gantry_fills_total" -> fills.labelValues(labels).get();
            case "gantry_scans_total" -> scans.labelValues(labels).get();
            default -> throw new IllegalArgumentException("unknown metric " + metric);
        };
    }

    /** The Prometheus text exposition of every metric. */
    public byte[] scrape() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
        try {
            writer.write(out, registry.scrape());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    public String contentType() {
        return writer.getContentType();
    }
}
