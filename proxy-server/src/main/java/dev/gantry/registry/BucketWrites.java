package dev.gantry.registry;

import dev.gantry.oci.Digest;
import dev.gantry.storage.BlobNotFoundException;
import dev.gantry.storage.DiskBlobStore;
import dev.gantry.storage.RemoteHealth;
import dev.gantry.storage.S3BlobStore;
import java.util.Collection;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Blob writes from this replica's disk to the shared bucket, in the two
 * ways they are owed: a blob fetched from upstream is written behind (its
 * client already has it; a failed upload is retried while the disk still
 * holds the blob, and the blob stays on disk until then), and a pushed blob
 * is written through (the push is acknowledged only once the bucket holds
 * it, so every replica serves what was acknowledged). Without a bucket,
 * every write is done at once.
 */
public final class BucketWrites {

    private static final Logger log = LoggerFactory.getLogger(BucketWrites.class);

    private final S3BlobStore s3;
    private final DiskBlobStore disk;
    private final RemoteHealth health;
    /** Uploads to S3 that failed, retried while the disk tier still holds the blob. */
    private final Map<Digest, Boolean> pending = new ConcurrentHashMap<>();
    /** Blobs pushed before the bucket was configured, which {@link HostedSeed} has yet to write through. */
    private final Set<Digest> seedOwes = ConcurrentHashMap.newKeySet();

    /** @param s3 the shared tier, or null; {@code health} may then be null too */
    public BucketWrites(S3BlobStore s3, DiskBlobStore disk, RemoteHealth health) {
        this.s3 = s3;
        this.disk = disk;
        this.health = health;
    }

    /** Uploads the disk tier's file of {@code d}, held as it is meanwhile (DiskBlobStore.holdForUpload). */
    private CompletableFuture<Void> uploadHolding(Digest d) {
        Runnable release = disk.holdForUpload(d);
        CompletableFuture<Void> upload;
        try {
            upload = s3.putFile(d, disk.pathOf(d));
        } catch (RuntimeException e) {
            release.run();
            throw e;
        }
        return upload.whenComplete((v, e) -> release.run());
    }

    /** A fill from upstream committed {@code d} to disk: uploads it behind the client's back. */
    void writeBehind(Digest d) {
        if (s3 == null) {
            return;
        }
        pending.put(d, Boolean.TRUE);
        if (!health.available()) {
            return;
        }
        uploadHolding(d).whenComplete((v, e) -> {
            if (e == null) {
                pending.remove(d);
            } else {
                pending.put(d, Boolean.TRUE);
                health.failure("upload of " + d, e);
            }
        });
    }

    /**
     * Makes a pushed blob, which this replica's disk holds, durable in the
     * shared tier before the push is acknowledged: uploaded unless the bucket
     * already holds it at its size, then confirmed by a fresh HEAD. Completes
     * at once without a shared tier; fails when the bucket cannot be written
     * or does not hold the blob whole afterwards. Tried even while S3 counts
     * as unwell: a push has no other place to go.
     */
    CompletableFuture<Void> writeThrough(Digest d) {
        if (s3 == null) {
            return CompletableFuture.completedFuture(null);
        }
        OptionalLong size = disk.statNow(d);
        if (size.isEmpty()) {
            return CompletableFuture.failedFuture(new BlobNotFoundException(d));
        }
        long want = size.getAsLong();
        return s3.statStored(d).thenCompose(there -> there.isPresent() && there.getAsLong() == want
                        ? CompletableFuture.<Void>completedFuture(null)
                        : uploadHolding(d).thenCompose(v -> s3.statStored(d)).thenAccept(after -> {
                            if (after.isEmpty() || after.getAsLong() != want) {
                                throw new IllegalStateException("the bucket holds " + (after.isEmpty() ? "no" : after.getAsLong())
                                        + " bytes of " + d + " after an upload of " + want);
                            }
                        }))
                .whenComplete((v, e) -> {
                    if (e == null) {
                        pending.remove(d);
                        seedOwes.remove(d);
                    } else {
                        health.failure("upload of pushed " + d, e);
                    }
                });
    }

    /** Whether a blob is on its way to the shared tier but not there yet (it must then stay on disk). */
    public boolean notYetShared(Digest d) {
        return s3 == null || pending.containsKey(d) || seedOwes.contains(d);
    }

    /** Blobs only this disk holds, which a seed will write through: they stay on disk until it has. */
    void seedOwes(Collection<Digest> blobs) {
        seedOwes.addAll(blobs);
    }

    /** Retries uploads that failed, for blobs the disk tier still holds. */
    void retryPending() {
        for (Digest d : pending.keySet()) {
            if (!health.available()) {
                return;
            }
            if (disk.statNow(d).isEmpty()) {
                log.info("dropping the pending upload of {}: evicted from disk before S3 came back", d);
                pending.remove(d);
            } else {
                writeBehind(d);
            }
        }
    }

    int pending() {
        return pending.size();
    }

    /** The blob was evicted from every tier: nothing left to upload. */
    void forget(Digest d) {
        pending.remove(d);
    }
}
