package dev.gantry.app;

import dev.gantry.config.S3Config;
import dev.gantry.fleet.HotSet;
import dev.gantry.registry.RetentionSweep;
import java.time.Clock;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The periodic jobs of a replica on a shared bucket, all on the maintenance
 * thread (they block on S3): retrying the writes owed to the bucket,
 * publishing this replica's hot blobs, and the retention sweep.
 */
final class SharedTierJobs {

    private static final Logger log = LoggerFactory.getLogger(SharedTierJobs.class);

    private SharedTierJobs() {
    }

    static void schedule(ScheduledExecutorService maintenance, Runnable retryOwed, HotSet hot, StorageFactory.Opened storage,
                         S3Config s3, Clock clock) {
        maintenance.scheduleWithFixedDelay(retryOwed, 30, 30, TimeUnit.SECONDS);
        long hotEvery = HotSet.PUBLISH_EVERY.toMillis();
        maintenance.scheduleWithFixedDelay(hot::publish, hotEvery, hotEvery, TimeUnit.MILLISECONDS);
        long every = s3.sweepInterval().toMillis();
        // Replicas start at different moments; a random first delay spreads their sweeps further.
        long first = ThreadLocalRandom.current().nextLong(Math.min(every, 600_000), every + 1);
        RetentionSweep sweep = new RetentionSweep(storage.s3(), storage.sharedMeta(), s3.retention(), clock);
        maintenance.scheduleWithFixedDelay(() -> {
            try {
                sweep.sweep();
            } catch (Exception e) {
                log.warn("S3 retention sweep failed; next attempt in {}: {}", s3.sweepInterval(), e.toString());
            }
        }, first, every, TimeUnit.MILLISECONDS);
    }
}
