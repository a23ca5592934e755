package dev.gantry.app;

import dev.gantry.fleet.HotSet;
import dev.gantry.oci.Digest;
import dev.gantry.storage.DiskBlobStore;
import dev.gantry.storage.S3BlobStore;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Before a new replica of a fleet answers {@code /readyz}: the fleet's hot
 * blobs ({@link HotSet#fleetHot()}) copied from the bucket to this replica's
 * disk, most reads per byte first (within a time budget, two blobs read
 * equally often are best copied small one first: more of the first clients'
 * requests then find their blob on disk), so that its first clients are served from its own disk
 * at full speed rather than streamed from the bucket. Bounded: at most
 * {@link #byteBudget} bytes and the given time (copies still running then
 * finish in the background; each publishes only verified bytes). Never asks
 * an upstream: a blob the bucket does not hold is skipped.
 */
final class HotCopy {

    private static final Logger log = LoggerFactory.getLogger(HotCopy.class);
    private static final int PARALLEL = 4;
    /** At most this much of the hot set is copied, whatever the disk's size. */
    static final long MAX_BYTES = 1L << 30;

    private HotCopy() {
    }

    /** A quarter of the disk tier, at most {@link #MAX_BYTES}: the hot set must not push out what the disk holds. */
    static long byteBudget(DiskBlobStore disk) {
        return Math.min(MAX_BYTES, disk.maxBytes() / 4);
    }

    /**
     * Copies what fits; blocks for at most {@code budget}. Never throws.
     *
     * @return the hot blobs this replica's disk holds when it returns (copied now or before), hottest first
     */
    static List<HotSet.Entry> run(HotSet hot, S3BlobStore s3, DiskBlobStore disk, Duration budget) {
        if (budget.isZero()) {
            return List.of();
        }
        long started = System.nanoTime();
        long deadline = started + budget.toNanos();
        List<HotSet.Entry> wanted = new ArrayList<>();
        List<HotSet.Entry> held = new ArrayList<>();
        long bytes = 0;
        long limit = byteBudget(disk);
        List<HotSet.Entry> byValue = new ArrayList<>(hot.fleetHot());
        byValue.sort(Comparator.comparingDouble((HotSet.Entry e) -> e.score() / e.size()).reversed());
        for (HotSet.Entry e : byValue) {
            if (bytes + e.size() > limit) {
                continue; // a smaller, colder blob may still fit
            }
            bytes += e.size();
            (disk.statNow(Digest.parse(e.digest())).isPresent() ? held : wanted).add(e);
        }
        if (wanted.isEmpty()) {
            return held;
        }
        ConcurrentLinkedQueue<HotSet.Entry> copied = new ConcurrentLinkedQueue<>();
        AtomicLong copiedBytes = new AtomicLong();
        AtomicInteger failed = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(PARALLEL, r -> {
            Thread t = new Thread(r, "gantry-hot-copy");
            t.setDaemon(true);
            return t;
        });
        try {
            for (HotSet.Entry e : wanted) {
                pool.execute(() -> {
                    if (System.nanoTime() > deadline) {
                        return;
                    }
                    try {
                        if (s3.copyTo(Digest.parse(e.digest()), disk)) {
                            copied.add(e);
                            copiedBytes.addAndGet(e.size());
                        }
                    } catch (IOException | RuntimeException ex) {
                        failed.incrementAndGet();
                        log.debug("copying hot blob {} from the bucket failed", e.digest(), ex);
                    }
                });
            }
            pool.shutdown();
            pool.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        log.info("copied {} of the fleet's {} hot blobs not on this disk ({} MB) from the bucket in {} ms{}",
                copied.size(), wanted.size(), copiedBytes.get() / 1_000_000, (System.nanoTime() - started) / 1_000_000,
                failed.get() > 0 ? "; " + failed.get() + " failed" : "");
        List<HotSet.Entry> out = new ArrayList<>(held);
        out.addAll(copied);
        out.sort((a, b) -> Double.compare(b.score(), a.score()));
        return out;
    }
}
