package dev.gantry.app;

import dev.gantry.fleet.Fleet;
import dev.gantry.hardware.LayerScans;
import dev.gantry.metrics.GantryMetrics;
import dev.gantry.registry.RegistryStatus;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code GET /v2/_gantry/status}: the operator's one-page view, put together
 * from the parts that know each figure: the version and commit, the registry's upstreams
 * (rate limits), tiers, fills and prefetch, the layer scanner's queue, and the fleet (members, shared budget).
 */
final class StatusPage {

    private final RegistryStatus registry;
    private final LayerScans scans;
    private final GantryMetrics metrics;
    private final Fleet fleet;

    StatusPage(RegistryStatus registry, LayerScans scans, GantryMetrics metrics, Fleet fleet) {
        this.registry = registry;
        this.scans = scans;
        this.metrics = metrics;
        this.fleet = fleet;
    }

    Map<String, Object> render() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("version", BuildInfo.current().version());
        out.put("commit", BuildInfo.current().commit());
        out.putAll(registry.status());
        out.put("savedUpstreamBytes", (long) metrics.servedFromCacheBytes());
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("queued", scans.queued());
        s.put("running", scans.running());
        s.put("queueCapacity", scans.capacity());
        Map<String, Object> finished = new LinkedHashMap<>();
        for (String result : GantryMetrics.SCAN_RESULTS) {
            finished.put(result, (long) metrics.value("gantry_scans_total", result));
        }
        s.put("finished", finished);
        out.put("scans", s);
        out.put("fleet", fleet.status());
        return out;
    }
}
