package dev.gantry.storage;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;

/**
 * Logs a failing dependency once per burst: the first failure in full, then
 * at most one summary per interval ("37 more failures; last: …"), so an
 * outage is visible without flooding the log. Counts every failure.
 */
final class BurstLog {

    private final Logger log;
    private final String what;
    private final Clock clock;
    private final long intervalMillis;
    private final AtomicLong total = new AtomicLong();
    private long suppressed;
    private long windowStart = Long.MIN_VALUE;

    BurstLog(Logger log, String what, Clock clock, Duration interval) {
        this.log = log;
        this.what = what;
        this.clock = clock;
        this.intervalMillis = interval.toMillis();
    }

    void failure(String action, Throwable cause) {
        total.incrementAndGet();
        long now = clock.millis();
        String line;
        synchronized (this) {
            if (windowStart != Long.MIN_VALUE && now - windowStart < intervalMillis) {
                suppressed++;
                return;
            }
            line = suppressed > 0 ? " (" + suppressed + " more failures since the last report)" : "";
            suppressed = 0;
            windowStart = now;
        }
        log.warn("{} failed: {}: {}{}; serving from other tiers and retrying later", what, action, cause.toString(), line);
    }

    /** Failures so far. */
    long total() {
        return total.get();
    }
}
