package dev.gantry.registry;

import dev.gantry.oci.Digest;
import dev.gantry.storage.DiskBlobStore;
import dev.gantry.storage.LocalUntilSeeded;
import dev.gantry.storage.MetadataStore;
import dev.gantry.storage.S3BlobStore;
import dev.gantry.storage.StorageLayout;
import java.io.IOException;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies into the shared bucket the hosted content that only this replica's
 * disk holds: what was pushed while it ran without {@code storage.s3}. It
 * runs once per data directory and bucket ({@link dev.gantry.storage.SeedJournal}),
 * in the background, one object at a time, in the order a push writes:
 * blobs, then manifests, then repository links, referrer entries, catalog
 * markers and the pins made through the admin API, then tags, so no replica
 * reads a tag whose manifest or blobs the bucket lacks (a link or tag whose
 * content is nowhere is left out). A record
 * the bucket already holds is never overwritten: another replica may have
 * pushed the same tag since, and the bucket wins. A record once settled is
 * never offered again, so what is deleted through the bucket stays deleted
 * at later starts, however stale this disk's copy.
 *
 * <p>{@code /readyz} does not wait for it: until a record is written this
 * replica reads it from its local copy ({@link LocalUntilSeeded}) and keeps
 * the blobs on its disk, so it serves what it was pushed from its first
 * request however long the seed takes; only the other replicas wait for it.
 * A seed that fails (the bucket unreachable) says so, keeps serving what it
 * still owes from the local copy, and goes on at the next start.
 *
 * <p>Mirrored (pull-through) content is not seeded: it is a cache that any
 * replica fetches again from its upstream.
 */
public final class HostedSeed implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HostedSeed.class);

    private final MetadataStore local;
    private final MetadataStore bucket;
    private final LocalUntilSeeded owed;
    private final BucketWrites writes;
    private final DiskBlobStore disk;
    private final S3BlobStore s3;
    private SeedPlan plan;
    /** Digests whose content the bucket holds, as this seed found or made it. */
    private final Set<Digest> inBucket = new HashSet<>();
    /** Link keys the bucket holds, as this seed found or made them. */
    private final Set<String> linksInBucket = new HashSet<>();
    private final Counts counts = new Counts();
    private volatile boolean closed;
    private volatile boolean started;
    /** Open while a seed runs: {@link #close} waits for it to stop. */
    private final CountDownLatch running = new CountDownLatch(1);

    /**
     * @param local this replica's own metadata (what it was pushed)
     * @param bucket the bucket's metadata, read and written directly
     * @param owed what the registry reads: the local copy of records not yet seeded
     */
    public HostedSeed(MetadataStore local, MetadataStore bucket, LocalUntilSeeded owed, BucketWrites writes,
                      DiskBlobStore disk, S3BlobStore s3) {
        this.local = local;
        this.bucket = bucket;
        this.owed = owed;
        this.writes = writes;
        this.disk = disk;
        this.s3 = s3;
    }

    /** What one run did, for its last log line. */
    private static final class Counts {
        int blobs;
        int manifests;
        int written;
        int kept;
        int overtaken;
        int missing;

        int done() {
            return blobs + manifests + written + kept + overtaken + missing;
        }
    }

    /**
     * Lists what this disk holds and the bucket may lack, and owes it: from
     * here on reads fall back to the local copy for those records, and those
     * blobs stay on disk. Reads the local disk only; call before serving.
     *
     * @return whether there is anything to seed; when not, the seed is recorded done at once
     */
    public boolean plan() throws IOException {
        if (owed.journal().done()) {
            return false;
        }
        plan = SeedPlan.list(local, disk, owed.journal());
        writes.seedOwes(plan.blobs);
        owed.owe(plan.records());
        if (plan.records().isEmpty()) {
            owed.journal().finish();
            return false;
        }
        return true;
    }

    /** Runs the seed that {@link #plan} found on {@code executor}. */
    public void start(Executor executor) {
        started = true;
        executor.execute(() -> {
            try {
                run();
            } finally {
                running.countDown();
            }
        });
    }

    private void run() {
        long began = System.nanoTime();
        log.info("copying to {} what was pushed here before it: {} blobs, {} manifests, {} links, {} referrer entries and"
                        + " catalog markers and pins, {} tags; this replica serves them from its disk until they are there",
                owed.journal(), plan.blobs.size(), plan.manifests.size(), plan.links.size(), plan.records.size(), plan.tags.size());
        try {
            seed();
            owed.journal().finish();
            log.info("copied to {} in {} s what was pushed here before it: {} blobs, {} manifests, {} records written, {} the"
                            + " bucket already held (kept), {} overtaken by writes here, {} left out (their content is nowhere)",
                    owed.journal(), (System.nanoTime() - began) / 1_000_000_000L, counts.blobs, counts.manifests,
                    counts.written, counts.kept, counts.overtaken, counts.missing);
        } catch (IOException | RuntimeException e) {
            if (closed) {
                stoppedAtShutdown();
            } else {
                log.warn("copying to {} what was pushed here before it stopped after {} of {} objects ({} records still owed,"
                                + " served from this disk); the next start goes on: {}", owed.journal(), counts.done(), plan.size(),
                        owed.owed(), e.getCause() == null ? e.toString() : e + " (" + e.getCause() + ")");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stoppedAtShutdown();
        } finally {
            try {
                owed.journal().close();
            } catch (IOException e) {
                log.debug("closing the seed journal", e);
            }
        }
    }

    private void stoppedAtShutdown() {
        log.info("copying to {} stopped at shutdown with {} records still owed; the next start goes on", owed.journal(), owed.owed());
    }

    private void seed() throws IOException, InterruptedException {
        for (Digest d : plan.blobs) {
            stopIfClosed();
            try {
                writes.writeThrough(d).get();
            } catch (ExecutionException e) {
                throw new IOException("writing blob " + d + " to the bucket failed", e.getCause());
            }
            inBucket.add(d);
            counts.blobs++;
        }
        for (Digest d : plan.manifests) {
            stopIfClosed();
            String key = StorageLayout.manifestKey(d);
            // Content-addressed: a copy already there is the same bytes.
            if (!bucket.exists(key)) {
                Optional<byte[]> record = local.get(key);
                if (record.isPresent()) {
                    bucket.put(key, record.get());
                    // Counted as read today: the retention sweep removes a manifest that no tag, link or recent
                    // read keeps, and its links come in a later phase of this seed, minutes later for a big one.
                    s3.touch(d).exceptionally(e -> null).join();
                }
            }
            inBucket.add(d);
            counts.manifests++;
        }
        for (String key : plan.links) {
            Optional<Digest> d = SeedPlan.linked(key);
            if (seedRecord(key, record -> d.isPresent() && holds(d.get()))) {
                linksInBucket.add(key);
            }
        }
        for (String key : plan.records) {
            Optional<String> needs = SeedPlan.neededBy(key);
            seedRecord(key, record -> needs.isEmpty() || bucketHolds(needs.get()));
        }
        for (String key : plan.tags) {
            seedRecord(key, record -> {
                Optional<String> needs = SeedPlan.taggedBy(key, record);
                return needs.isPresent() && bucketHolds(needs.get());
            });
        }
    }

    private void stopIfClosed() throws InterruptedException {
        if (closed || Thread.currentThread().isInterrupted()) {
            throw new InterruptedException("shutting down");
        }
    }

    /** Whether what a record names is in the bucket, so the record may be written there. */
    @FunctionalInterface
    private interface Complete {
        boolean check(byte[] record) throws IOException;
    }

    /**
     * Writes a local record the bucket lacks, if what it names is there;
     * settles it either way.
     *
     * @return whether the bucket holds the key now (written here or kept)
     */
    private boolean seedRecord(String key, Complete complete) throws IOException, InterruptedException {
        stopIfClosed();
        boolean[] there = new boolean[1];
        boolean ran = owed.settle(key, () -> {
            // Another replica may have written it since: the bucket's record wins.
            if (bucket.exists(key)) {
                counts.kept++;
                there[0] = true;
                return;
            }
            Optional<byte[]> record = local.get(key);
            if (record.isEmpty() || !complete.check(record.get())) {
                counts.missing++;
                return;
            }
            bucket.put(key, record.get());
            counts.written++;
            there[0] = true;
        });
        if (!ran) {
            counts.overtaken++;
        }
        return there[0];
    }

    /** Whether the bucket holds the content of {@code d}: seeded here, or there before. */
    private boolean holds(Digest d) throws IOException {
        if (inBucket.contains(d)) {
            return true;
        }
        boolean there = bucket.exists(StorageLayout.manifestKey(d)) || s3.statStored(d).join().isPresent();
        if (there) {
            inBucket.add(d);
        }
        return there;
    }

    private boolean bucketHolds(String linkKey) throws IOException {
        return linksInBucket.contains(linkKey) || bucket.exists(linkKey);
    }

    /**
     * Stops the seed before its next object (it goes on at the next start),
     * waiting a few seconds for the object it is writing: the stores close next.
     */
    @Override
    public void close() {
        closed = true;
        try {
            if (started) {
                running.await(10, TimeUnit.SECONDS);
            }
            // Writes of this replica that overtook owed records after a failed seed reopen the journal.
            owed.journal().close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            log.debug("closing the seed journal", e);
        }
    }
}
