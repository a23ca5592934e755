package dev.gantry.app;

import dev.gantry.metrics.GantryMetrics;
import dev.gantry.upstream.Upstream;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last hour of the status page, for the console's charts: one sample
 * every {@link #INTERVAL}, at most {@link #KEPT} of them (memory is bounded:
 * a few hundred small records, whatever the uptime). Counters become what
 * happened during each interval (requests, the share answered from the
 * cache, bytes served without going upstream, prefetches used and wasted);
 * gauges are read as they are (fills and scans in flight, each upstream's
 * remaining rate-limit budget). Only the server's own sampler calls
 * {@link #sample()}; {@link #since} may be called from any thread.
 */
final class StatusHistory {

    private static final Logger log = LoggerFactory.getLogger(StatusHistory.class);
    static final Duration INTERVAL = Duration.ofSeconds(10);
    static final Duration SPAN = Duration.ofHours(1);
    static final int KEPT = (int) (SPAN.toSeconds() / INTERVAL.toSeconds());

    /** Outcomes of manifest and blob requests that Gantry answered without asking the upstream for the content. */
    private static final List<String> FROM_CACHE = List.of("hit", "shared", "revalidated", "stale");
    private static final List<String> ALL_OUTCOMES = List.of("hit", "shared", "miss", "joined", "revalidated", "stale", "negative", "upstream");

    /** What the server is doing now: gauges the sampler cannot read from the metrics. */
    interface Gauges {
        int fillsInFlight();

        int scansInFlight();

        /** Each upstream's remaining rate-limit budget, null where it never said. */
        Map<String, Long> rateLimitRemaining();
    }

    /** One interval ending at {@code at} (epoch milliseconds): counters are the interval's deltas, gauges their value at its end. */
    record Sample(long at, long requests, Double hitRatio, long savedBytes, int fills, int scans,
                  long prefetchUsed, long prefetchWasted, Map<String, Long> rateLimitRemaining) {
    }

    private record Totals(double requests, double fromCache, double savedBytes, double used, double wasted) {
    }

    private final GantryMetrics metrics;
    private final Gauges gauges;
    private final Clock clock;
    private final ArrayDeque<Sample> samples = new ArrayDeque<>(KEPT);
    private Totals last;

    StatusHistory(GantryMetrics metrics, Gauges gauges, Clock clock) {
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.gauges = Objects.requireNonNull(gauges, "gauges");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.last = totals();
    }

    /** Samples every {@link #INTERVAL} on {@code executor} until it shuts down; a failed sample is logged and skipped. */
    void schedule(ScheduledExecutorService executor) {
        long every = INTERVAL.toMillis();
        executor.scheduleAtFixedRate(() -> {
            try {
                sample();
            } catch (RuntimeException e) {
                log.warn("sampling the status history failed: {}", e.toString()); // the next sample tries again
            }
        }, every, every, TimeUnit.MILLISECONDS);
    }

    /** Takes one sample; the oldest goes once {@link #KEPT} are held. */
    void sample() {
        Totals now = totals();
        Totals before = last;
        last = now;
        double requests = now.requests() - before.requests();
        Double ratio = requests <= 0 ? null : (now.fromCache() - before.fromCache()) / requests;
        Sample s = new Sample(clock.millis(), (long) requests, ratio, (long) (now.savedBytes() - before.savedBytes()),
                gauges.fillsInFlight(), gauges.scansInFlight(),
                (long) (now.used() - before.used()), (long) (now.wasted() - before.wasted()),
                gauges.rateLimitRemaining());
        synchronized (samples) {
            if (samples.size() == KEPT) {
                samples.removeFirst();
            }
            samples.addLast(s);
        }
    }

    /** The samples taken in the last {@code window} (at most {@link #SPAN}), oldest first. */
    List<Sample> since(Duration window) {
        long from = clock.millis() - window.toMillis();
        List<Sample> out = new ArrayList<>();
        synchronized (samples) {
            for (Sample s : samples) {
                if (s.at() >= from) {
                    out.add(s);
                }
            }
        }
        return out;
    }

    /**
     * {@code GET /v2/_gantry/status?history=WINDOW}: the samples as JSON.
     *
     * @throws IllegalArgumentException when {@code window} is not positive or longer than {@link #SPAN}
     */
    Map<String, Object> render(Duration window) {
        if (window.isZero() || window.isNegative() || window.compareTo(SPAN) > 0) {
            throw new IllegalArgumentException("history goes back at most " + SPAN.toMinutes() + "m");
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("intervalSeconds", INTERVAL.toSeconds());
        out.put("samples", since(window));
        return out;
    }

    private Totals totals() {
        double requests = 0;
        double fromCache = 0;
        for (String kind : List.of("manifest", "blob")) {
            for (String outcome : ALL_OUTCOMES) {
                double n = metrics.value("gantry_cache_requests_total", kind, outcome);
                requests += n;
                if (FROM_CACHE.contains(outcome)) {
                    fromCache += n;
                }
            }
        }
        return new Totals(requests, fromCache, metrics.servedFromCacheBytes(),
                metrics.prefetchCount("used"), metrics.prefetchCount("wasted"));
    }

    /** Gauges read from suppliers, for wiring. */
    static Gauges gauges(Supplier<Integer> fills, Supplier<Integer> scans, Supplier<Map<String, Long>> remaining) {
        return new Gauges() {
            @Override
            public int fillsInFlight() {
                return fills.get();
            }

            @Override
            public int scansInFlight() {
                return scans.get();
            }

            @Override
            public Map<String, Long> rateLimitRemaining() {
                return remaining.get();
            }
        };
    }

    /** Each upstream's last known remaining budget, null where none is known. */
    static Map<String, Long> rateLimitRemaining(List<Upstream> upstreams) {
        Map<String, Long> out = new LinkedHashMap<>();
        for (Upstream u : upstreams) {
            long remaining = u.rateLimit().snapshot().remaining();
            out.put(u.name(), remaining < 0 ? null : remaining);
        }
        return out;
    }
}
