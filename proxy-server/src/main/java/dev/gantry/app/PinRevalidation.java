package dev.gantry.app;

import dev.gantry.registry.CacheAdmin;
import dev.gantry.registry.WarmJobs;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pinned images: which digests they hold is known at once (eviction leaves
 * them); soon after start-up, then every {@code cache.pins.revalidate}, each
 * pin's tag is revalidated and whatever is missing fetched. With a shared
 * bucket, every {@link #SHARED_REFRESH} the pins made through the API are
 * re-read from the bucket, so every replica holds the fleet's pins.
 */
final class PinRevalidation {

    private static final Logger log = LoggerFactory.getLogger(PinRevalidation.class);

    /** How soon a replica adopts a pin another one made, or drops one another removed (README says so). */
    static final Duration SHARED_REFRESH = Duration.ofSeconds(5);

    private PinRevalidation() {
    }

    static void schedule(CacheAdmin admin, WarmJobs warm, Duration revalidate, boolean sharedBucket, Executor blocking,
                         ScheduledExecutorService maintenance) {
        if (sharedBucket) {
            long every = SHARED_REFRESH.toMillis();
            maintenance.scheduleWithFixedDelay(() -> {
                try {
                    admin.refreshPins();
                } catch (IOException | RuntimeException e) {
                    log.debug("cannot re-read the fleet's pins from the bucket; next attempt in {}: {}", SHARED_REFRESH, e.toString());
                }
            }, every, every, TimeUnit.MILLISECONDS);
        }
        blocking.execute(() -> {
            try {
                admin.refreshPinned();
            } catch (IOException | RuntimeException e) {
                log.warn("cannot compute which blobs pinned images hold: {}", e.toString());
            }
        });
        long every = revalidate.toMillis();
        maintenance.scheduleWithFixedDelay(() -> {
            try {
                admin.revalidatePins(warm);
            } catch (RuntimeException e) {
                log.warn("revalidating pinned images failed; next attempt in {}: {}", revalidate, e.toString());
            }
        }, Math.min(every, 10_000), every, TimeUnit.MILLISECONDS);
    }
}
