package dev.gantry.registry;

import dev.gantry.content.GrowingContent;
import dev.gantry.oci.Digest;
import dev.gantry.storage.LocalTier;
import dev.gantry.storage.SpoolWriter;
import dev.gantry.upstream.UpstreamException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One upstream fetch of one blob into a spool file, hashed as it arrives and
 * committed to the disk tier only if digest and size match. Any number of
 * readers follow the growing spool from their own file channel, so a slow
 * reader never slows the fetch, and memory holds at most the chunk in flight.
 *
 * <p>The last byte becomes readable only after verification: a reader of a
 * blob that turns out corrupt or truncated gets a body shorter than its
 * {@code Content-Length}, never a complete wrong one.
 *
 * <p>The fill belongs to no client; it runs to the end even if every reader
 * went away. Every fill ends: committed, or failed when its source failed,
 * its content did not verify, or it made no progress within its
 * {@link FillDeadline}; waiters then get the failure, and the next request
 * starts a new fill.
 */
final class BlobFill {

    /** The digest of no bytes. */
    private static final Digest EMPTY = Digest.sha256(new byte[0]);

    /** How far spool writes may fall behind the source before it is paused. */
    static final int WRITE_BEHIND_BYTES = 256 * 1024;

    private final Digest digest;
    private final LocalTier disk;
    private final Executor blocking;
    private final FillDeadline deadline;
    private final CompletableFuture<Long> sized = new CompletableFuture<>();
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private final List<Waiter> waiters = new ArrayList<>();
    private final AtomicBoolean finished = new AtomicBoolean();
    /** Commit and abort of the spool never overlap (a fill may expire while it commits). */
    private final Object writerLock = new Object();

    private volatile BlobTiers.Origin origin;
    private volatile SpoolWriter writer;
    private volatile long expectedSize = -1;
    private volatile long written;
    private volatile boolean committed;
    private volatile Throwable failure;
    private volatile SpoolingConsumer consumer;

    private record Waiter(long position, CompletableFuture<Long> future) {
    }

    /** A fill without a deadline: ends only when its source ends (tests that drive the source by hand). */
    BlobFill(Digest digest, LocalTier disk, Executor blocking) {
        this(digest, disk, blocking, FillDeadline.NONE);
    }

    BlobFill(Digest digest, LocalTier disk, Executor blocking, FillDeadline deadline) {
        this.digest = digest;
        this.disk = disk;
        this.blocking = blocking;
        this.deadline = deadline;
    }

    Digest digest() {
        return digest;
    }

    /** Completes with the blob's size once known (upstream head, or at commit); fails if the fetch fails first. */
    CompletableFuture<Long> sized() {
        return sized;
    }

    /** Completes when the blob is committed; fails when the fill failed. */
    CompletableFuture<Void> done() {
        return done;
    }

    boolean committed() {
        return committed;
    }

    /** Where the bytes come from; known once the source answered (before {@link #sized()} completes). */
    BlobTiers.Origin origin() {
        return origin;
    }

    /** The failure that ended the fill, or null. */
    Throwable failure() {
        return failure;
    }

    /** The spool holds {@code bytes} now. */
    void wrote(long bytes) {
        written = bytes;
    }

    /** Starts consuming the source's stream. */
    void start(CompletableFuture<BlobTiers.Sourced> source) {
        deadline.start(this::expire);
        source.whenComplete((sourced, error) -> {
            if (error != null) {
                fail(error);
                return;
            }
            var r = sourced.stream();
            if (finished.get()) {
                r.discard(); // the answer came after the deadline
                return;
            }
            deadline.answered();
            origin = sourced.origin();
            long length = r.contentLength();
            BlockingIo.run(blocking, () -> writer = disk.newWriter(digest, length)).whenComplete((v, e) -> {
                if (e != null || finished.get()) {
                    r.discard();
                    if (e != null) {
                        fail(e);
                    } else {
                        // Expired meanwhile: a writer opened for nothing (abort is idempotent).
                        SpoolWriter w = writer;
                        blocking.execute(() -> {
                            synchronized (writerLock) {
                                w.abort();
                            }
                        });
                    }
                    return;
                }
                if (length > 0 || (length == 0 && digest.equals(EMPTY))) {
                    expectedSize = length;
                    sized.complete(length);
                }
                // A length of 0 for any other digest is wrong, and a response of 0 bytes has no last byte to
                // hold back until the digest is checked: its size is told at commit, which fails, as for a
                // body of unknown length, so no client gets a complete, empty 200.
                SpoolingConsumer c = new SpoolingConsumer(this, writer, deadline, blocking);
                consumer = c;
                r.subscribe(c);
            });
        });
    }

    /**
     * Opens a reader of the spool for a range. Fails with
     * {@link NoSuchFileException} once the spool was committed
     * (renamed) or discarded: the caller then reads the store.
     */
    GrowingContent open(long offset, long length) throws IOException {
        SpoolWriter w = writer;
        if (w == null || committed) {
            throw new NoSuchFileException("spool of " + digest);
        }
        FileChannel channel = FileChannel.open(w.path(), StandardOpenOption.READ);
        return new SpoolReader(channel, offset, length, this::readableAfter);
    }

    /** Bytes readers may read: all of them once verified, else all but the last. */
    private long readableLimit() {
        if (committed) {
            return written;
        }
        long size = expectedSize;
        return size >= 0 ? Math.min(written, size - 1) : 0;
    }

    private CompletableFuture<Long> readableAfter(long position) {
        synchronized (waiters) {
            long limit = readableLimit();
            if (position < limit) {
                return CompletableFuture.completedFuture(limit);
            }
            if (failure != null) {
                return CompletableFuture.failedFuture(failure);
            }
            CompletableFuture<Long> f = new CompletableFuture<>();
            waiters.add(new Waiter(position, f));
            return f;
        }
    }

    /** Wakes the readers waiting for bytes that are now readable. */
    void progress() {
        List<Waiter> ready = new ArrayList<>();
        long limit;
        synchronized (waiters) {
            limit = readableLimit();
            for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
                Waiter w = it.next();
                if (w.position < limit) {
                    ready.add(w);
                    it.remove();
                }
            }
        }
        for (Waiter w : ready) {
            w.future.complete(limit);
        }
    }

    /** The deadline passed: fail the fill and stop its source at its next chunk. */
    private void expire() {
        UpstreamException timeout = new UpstreamException(UpstreamException.Kind.TIMEOUT,
                "the fill of " + digest + " made no progress: " + deadline.describe(), null);
        SpoolingConsumer c = consumer;
        if (c != null) {
            c.breakOff(timeout); // refuses the next chunk before anyone hears of the failure, and fails the fill
        }
        fail(timeout);
    }

    /** Verifies and publishes the spool (the source ended and every chunk is written). */
    void commit() {
        try {
            synchronized (writerLock) {
                if (finished.get()) {
                    return; // failed meanwhile; its abort of the writer follows
                }
                writer.commit();
            }
            committed = true;
            sized.complete(written);
            progress();
            finished.set(true);
            done.complete(null);
        } catch (IOException | RuntimeException e) {
            fail(e);
        }
    }

    void fail(Throwable error) {
        if (!finished.compareAndSet(false, true)) {
            return;
        }
        deadline.stop();
        SpoolWriter w = writer;
        if (w != null) {
            blocking.execute(() -> {
                synchronized (writerLock) {
                    w.abort();
                }
            });
        }
        List<Waiter> all;
        synchronized (waiters) {
            failure = error;
            all = new ArrayList<>(waiters);
            waiters.clear();
        }
        sized.completeExceptionally(error);
        done.completeExceptionally(error);
        for (Waiter w2 : all) {
            w2.future.completeExceptionally(error);
        }
    }
}
