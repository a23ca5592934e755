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
 * pin's tag is revalidated and whatever is missing fetched.
 */
final class PinRevalidation {

    private static final Logger log = LoggerFactory.getLogger(PinRevalidation.class);

    private PinRevalidation() {
    }

    static void schedule(CacheAdmin admin, WarmJobs warm, Duration revalidate, Executor blocking,
                         ScheduledExecutorService maintenance) {
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
