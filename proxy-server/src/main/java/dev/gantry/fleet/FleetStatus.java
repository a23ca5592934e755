package dev.gantry.fleet;

import dev.gantry.upstream.RateLimitState;
import dev.gantry.upstream.Upstream;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The fleet's part of the status page, as JSON-ready maps. */
final class FleetStatus {

    private FleetStatus() {
    }

    static Map<String, Object> of(String self, String discovery, List<Member> members, List<Upstream> upstreams,
                                  Instant lastSync) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("self", self);
        out.put("discovery", discovery);
        List<Map<String, Object>> listed = members.stream().map(m -> {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("id", m.id());
            e.put("address", m.address());
            e.put("version", m.version());
            e.put("startedAt", m.startedAt() == null ? null : m.startedAt().toString());
            e.put("heartbeatAt", m.heartbeatAt() == null ? null : m.heartbeatAt().toString());
            e.put("source", m.source());
            return e;
        }).toList();
        out.put("members", listed);
        Map<String, Object> budgets = new LinkedHashMap<>();
        for (Upstream u : upstreams) {
            RateLimitState.Snapshot s = u.rateLimit().snapshot();
            Map<String, Object> b = new LinkedHashMap<>();
            b.put("limit", s.limit());
            b.put("remaining", s.remaining());
            b.put("backingOff", u.rateLimit().backingOff());
            b.put("retryAfterSeconds", u.rateLimit().retryAfter().toSeconds());
            b.put("updatedAt", s.updatedAt() == null ? null : s.updatedAt().toString());
            budgets.put(u.name(), b);
        }
        out.put("budget", budgets);
        out.put("lastSync", lastSync == null ? null : lastSync.toString());
        return out;
    }
}
