package dev.gantry.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gantry.metrics.GantryMetrics;
import dev.gantry.testing.MutableClock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The console's last hour: interval deltas of the counters, gauges as read, bounded, windowed. */
class StatusHistoryTest {

    private final MutableClock clock = MutableClock.startingNow();
    private final GantryMetrics metrics = new GantryMetrics();
    private final AtomicInteger fills = new AtomicInteger();
    private final AtomicInteger scans = new AtomicInteger();
    private final Map<String, Long> remaining = new HashMap<>();
    private final StatusHistory history = new StatusHistory(metrics,
            StatusHistory.gauges(fills::get, scans::get, () -> new HashMap<>(remaining)), clock);

    private StatusHistory.Sample next() {
        clock.advance(StatusHistory.INTERVAL);
        history.sample();
        List<StatusHistory.Sample> all = history.since(StatusHistory.SPAN);
        return all.get(all.size() - 1);
    }

    @Test
    void eachSampleHoldsWhatHappenedDuringItsIntervalNotTheTotals() {
        metrics.cacheOutcome("blob", "hit");
        metrics.cacheOutcome("blob", "hit");
        metrics.cacheOutcome("blob", "hit");
        metrics.cacheOutcome("manifest", "miss");
        metrics.responseBytes("hit", 3000);
        metrics.responseBytes("miss", 500);
        metrics.prefetch("used");
        StatusHistory.Sample first = next();
        assertThat(first.requests()).isEqualTo(4);
        assertThat(first.hitRatio()).isEqualTo(0.75);
        assertThat(first.savedBytes()).as("only what the cache answered").isEqualTo(3000);
        assertThat(first.prefetchUsed()).isEqualTo(1);

        metrics.cacheOutcome("manifest", "upstream");
        StatusHistory.Sample second = next();
        assertThat(second.requests()).isEqualTo(1);
        assertThat(second.hitRatio()).isEqualTo(0.0);
        assertThat(second.savedBytes()).isZero();
        assertThat(second.prefetchUsed()).isZero();

        StatusHistory.Sample idle = next();
        assertThat(idle.requests()).isZero();
        assertThat(idle.hitRatio()).as("no requests: no ratio, rather than a false zero").isNull();
    }

    @Test
    void gaugesAreReadAtTheEndOfEachInterval() {
        fills.set(3);
        scans.set(2);
        remaining.put("docker.io", 97L);
        remaining.put("ghcr.io", null);
        StatusHistory.Sample s = next();
        assertThat(s.fills()).isEqualTo(3);
        assertThat(s.scans()).isEqualTo(2);
        assertThat(s.rateLimitRemaining()).containsEntry("docker.io", 97L).containsEntry("ghcr.io", null);
        assertThat(s.at()).isEqualTo(clock.millis());
    }

    @Test
    void keepsOneHourAndDropsTheOldest() {
        for (int i = 0; i < StatusHistory.KEPT + 25; i++) {
            metrics.cacheOutcome("blob", "hit");
            next();
        }
        List<StatusHistory.Sample> kept = history.since(StatusHistory.SPAN);
        assertThat(StatusHistory.KEPT).isEqualTo(360);
        assertThat(kept).hasSize(StatusHistory.KEPT);
        assertThat(kept.get(0).at()).isEqualTo(clock.millis() - (StatusHistory.KEPT - 1) * StatusHistory.INTERVAL.toMillis());
        assertThat(kept).allSatisfy(s -> assertThat(s.requests()).isEqualTo(1));
    }

    @Test
    void aWindowSelectsTheRecentSamples() {
        for (int i = 0; i < 30; i++) {
            next();
        }
        assertThat(history.since(Duration.ofMinutes(1))).hasSize(7); // now, and six intervals back
        assertThat(history.since(Duration.ofSeconds(5))).hasSize(1);
        assertThat(history.render(Duration.ofMinutes(5))).containsEntry("intervalSeconds", 10L);
    }

    @Test
    void windowsItDoesNotKeepAreRefused() {
        assertThatThrownBy(() -> history.render(Duration.ofHours(2))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("60m");
        assertThatThrownBy(() -> history.render(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
    }
}
