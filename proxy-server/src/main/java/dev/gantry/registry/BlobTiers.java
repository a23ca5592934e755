package dev.gantry.registry;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.gantry.content.ByteStream;
import dev.gantry.content.Content;
import dev.gantry.oci.Digest;
import dev.gantry.storage.BlobNotFoundException;
import dev.gantry.storage.DiskBlobStore;
import dev.gantry.storage.MemoryBlobStore;
import dev.gantry.storage.RemoteHealth;
import dev.gantry.storage.S3BlobStore;
import dev.gantry.upstream.UpstreamResponse;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Clock;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The storage tiers in read order — memory, disk, S3 — and the traffic
 * between them: a disk hit of a small blob is offered to memory (Caffeine's
 * admission decides), an S3 hit is brought to disk through a verifying fill,
 * and a blob fetched from upstream is written to every tier once verified.
 * S3 trouble never fails a request: reads fall through to upstream, writes
 * are retried later ({@link BucketWrites}).
 */
public final class BlobTiers {

    /**
     * Where a fill's bytes came from: the upstream, the shared tier, or the
     * fleet member that owns the blob (which stores it in the shared tier itself).
     */
    public enum Origin { UPSTREAM, SHARED, FLEET }

    /** A fill source that has answered: what it streams, and from where. */
    record Sourced(Origin origin, ByteStream stream) {
    }

    /** A blob held by a local tier. */
    record Local(boolean memory, long size) {
    }

    private final MemoryBlobStore memory;
    private final DiskBlobStore disk;
    private final S3BlobStore s3;
    private final RemoteHealth health;
    private final Executor blocking;
    /** Disk hits offered to memory lately: one offer per blob per 30 s, timed by the injected clock. */
    private final Cache<Digest, Boolean> promotionTried;
    /**
     * Blobs whose shared copy failed a fill lately: read from the upstream instead until a fill from there
     * writes the copy again (an upload overwrites). Else, once S3's cooldown ended, the next request would read
     * the same bad copy and fail too, for as long as no request came during a cooldown to refill it.
     */
    private final Cache<Digest, Boolean> badSharedCopies;
    private final BucketWrites writes;

    /**
     * @param s3 the shared tier, or null; {@code health} may then be null too
     * @param writes this replica's writes to the shared tier (over the same {@code s3})
     * @param promotions how many blobs' recent offers to memory are remembered at most
     */
    public BlobTiers(MemoryBlobStore memory, DiskBlobStore disk, S3BlobStore s3, RemoteHealth health, BucketWrites writes,
                     Executor blocking, Clock clock, long promotions) {
        this.promotionTried = Caffeine.newBuilder().expireAfterWrite(30, TimeUnit.SECONDS).maximumSize(promotions)
                .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis())).build();
        this.badSharedCopies = Caffeine.newBuilder().expireAfterWrite(1, TimeUnit.DAYS).maximumSize(10_000)
                .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis())).build();
        this.memory = memory;
        this.disk = disk;
        this.s3 = s3;
        this.health = health;
        this.writes = writes;
        this.blocking = blocking;
    }

    DiskBlobStore disk() {
        return disk;
    }

    boolean hasShared() {
        return s3 != null;
    }

    /** The fastest local tier holding the blob, or null. Never blocks. */
    Local local(Digest d) {
        OptionalLong m = memory.statNow(d);
        if (m.isPresent()) {
            return new Local(true, m.getAsLong());
        }
        OptionalLong k = disk.statNow(d);
        return k.isPresent() ? new Local(false, k.getAsLong()) : null;
    }

    /** Opens a range from the local tier that holds it (memory first), offering disk hits to memory. */
    CompletableFuture<Content> openLocal(Digest d, long size, long offset, long length) {
        touch(d);
        if (memory.statNow(d).isPresent()) {
            CompletableFuture<Content> hot = memory.open(d, offset, length);
            if (!hot.isCompletedExceptionally()) {
                return hot;
            }
        }
        if (memory.admits(size) && promotionTried.asMap().putIfAbsent(d, Boolean.TRUE) == null) {
            blocking.execute(() -> promote(d));
        }
        return disk.open(d, offset, length);
    }

    private void promote(Digest d) {
        memory.offer(d, disk.pathOf(d));
    }

    /** The size of a blob in S3, or empty (also when S3 is unwell: upstream will answer). */
    CompletableFuture<OptionalLong> statShared(Digest d) {
        if (s3 == null || !health.available()) {
            return CompletableFuture.completedFuture(OptionalLong.empty());
        }
        return s3.stat(d).exceptionally(e -> {
            health.failure("stat of " + d, e);
            return OptionalLong.empty();
        });
    }

    /**
     * A fill source: S3 when allowed and it holds the blob, else upstream.
     * A fill from S3 is verified like any other; if it turns out corrupt,
     * the next request goes upstream because S3 failures are then recorded.
     */
    CompletableFuture<Sourced> source(Digest d, boolean sharedAllowed, Supplier<CompletableFuture<? extends ByteStream>> upstream) {
        if (s3 == null || !sharedAllowed || !health.available() || badSharedCopies.getIfPresent(d) != null) {
            return upstream.get().thenApply(BlobTiers::fromUpstream);
        }
        return s3.read(d).thenApply(s -> new Sourced(Origin.SHARED, s)).exceptionallyCompose(e -> {
            if (!isNotFound(e)) {
                health.failure("read of " + d, e);
            }
            return upstream.get().thenApply(BlobTiers::fromUpstream);
        });
    }

    private static Sourced fromUpstream(ByteStream s) {
        return new Sourced(s instanceof UpstreamResponse r && r.viaFleetPeer() ? Origin.FLEET : Origin.UPSTREAM, s);
    }

    /**
     * A fill committed {@code d} to disk: write it to the other tiers (not to the shared tier when
     * it came from there, or from the fleet member that owns it, which writes it). Runs on a blocking thread.
     */
    void committed(Digest d, Origin origin) {
        OptionalLong size = disk.statNow(d);
        if (size.isPresent() && memory.admits(size.getAsLong())) {
            promote(d);
        }
        if (origin == Origin.UPSTREAM) {
            writes.writeBehind(d); // overwrites a bad shared copy too
            badSharedCopies.invalidate(d);
        } else if (origin == Origin.FLEET && s3 != null) {
            // The owner that sent it marked it read today: its upload does, and so does its own read.
            s3.touchedElsewhere(d);
        } else if (origin == Origin.SHARED) {
            // A read of the shared copy today, which the fill served: the owner a FLEET fill relies on.
            touch(d);
        }
    }

    /**
     * A fill from S3 failed verification (or broke off): S3 may hold a bad copy, so upstream's is read until it is
     * written again.
     */
    void sharedCopyFailed(Digest d, Throwable cause) {
        badSharedCopies.put(d, Boolean.TRUE);
        if (health != null) {
            health.failure("verifying the S3 copy of " + d, cause);
        }
    }

    /** Records a read for retention. */
    void touch(Digest d) {
        if (s3 != null && health.available()) {
            s3.touch(d).exceptionally(e -> {
                health.failure("access record of " + d, e);
                return null;
            });
        }
    }

    /** The disk tier's file of {@code d} when the disk holds it now, else null. Never blocks. */
    Path localFile(Digest d) {
        return disk.statNow(d).isPresent() ? disk.pathOf(d) : null;
    }

    /** Where the disk tier keeps {@code d} (whether or not it holds it now). */
    Path diskPath(Digest d) {
        return disk.pathOf(d);
    }

    /**
     * Writes bytes Gantry made itself (an artifact's blobs) to the disk tier
     * unless it holds them; the writer verifies them against {@code d}. Blocks.
     */
    void storeLocal(Digest d, byte[] bytes) throws IOException {
        if (disk.statNow(d).isEmpty()) {
            var w = disk.newWriter(d, bytes.length);
            w.write(ByteBuffer.wrap(bytes));
            w.commit();
        }
    }

    /** Whether this replica's memory or disk holds the blob now. */
    boolean heldLocally(Digest d) {
        return local(d) != null;
    }

    /**
     * Removes a blob from every tier (an operator's eviction): memory, disk and
     * the shared tier. Completes with whether any tier held it.
     */
    CompletableFuture<Boolean> evict(Digest d) {
        writes.forget(d);
        promotionTried.invalidate(d);
        CompletableFuture<Boolean> inMemory = memory.delete(d);
        CompletableFuture<Boolean> onDisk = disk.delete(d);
        CompletableFuture<Boolean> shared = s3 == null ? CompletableFuture.completedFuture(false) : s3.delete(d);
        return inMemory.thenCombine(onDisk, Boolean::logicalOr).thenCombine(shared, Boolean::logicalOr);
    }

    static boolean isNotFound(Throwable t) {
        return UpstreamErrors.unwrap(t) instanceof BlobNotFoundException;
    }
}
