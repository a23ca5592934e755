package dev.gantry.storage;

import java.time.Clock;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the shared tier is worth asking right now. After a failure it is
 * skipped for a cool-down, so an outage costs clients nothing but the first
 * failed attempt; then it is tried again. Failures are logged once per burst
 * and counted.
 */
public final class RemoteHealth {

    private static final Logger log = LoggerFactory.getLogger(RemoteHealth.class);

    private final Clock clock;
    private final long cooldownMillis;
    private final BurstLog burst;
    private volatile long downUntil;

    public RemoteHealth(String what, Clock clock, Duration cooldown) {
        this.clock = clock;
        this.cooldownMillis = cooldown.toMillis();
        this.burst = new BurstLog(log, what, clock, Duration.ofMinutes(1));
    }

    /** Whether to try the remote tier now. */
    public boolean available() {
        return clock.millis() >= downUntil;
    }

    public void failure(String action, Throwable cause) {
        downUntil = clock.millis() + cooldownMillis;
        burst.failure(action, S3Bucket.unwrap(cause));
    }

    /** Failures since start-up, for metrics. */
    public long failures() {
        return burst.total();
    }
}
