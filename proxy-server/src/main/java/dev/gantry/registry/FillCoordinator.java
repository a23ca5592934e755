package dev.gantry.registry;

import dev.gantry.content.Content;
import dev.gantry.content.GrowingContent;
import dev.gantry.oci.Digest;
import dev.gantry.storage.LocalTier;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One fill per digest, ever: a request for a blob that no tier holds either
 * joins the fill in progress or starts one. A fill stays registered until its
 * blob is committed (visible in the disk tier) or it failed, so there is no
 * window in which a second fetch of the same digest could start. Every fill
 * has a progress deadline ({@link FillDeadline}), so none stays registered
 * for good: a stuck source fails the fill, and the next request starts anew.
 */
public final class FillCoordinator {

    private static final Logger log = LoggerFactory.getLogger(FillCoordinator.class);

    /** A fill and whether the caller started it or joined it. */
    record Claim(BlobFill fill, boolean started) {
    }

    private final LocalTier disk;
    private final Executor blocking;
    private final ScheduledExecutorService timers;
    private final LongSupplier nanoTime;
    private final Map<Digest, BlobFill> inFlight = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> perGroup = new ConcurrentHashMap<>();
    private final BlobEventHub events;

    /**
     * @param timers times the fills' deadlines (their expiry runs on {@code blocking})
     * @param nanoTime the monotonic clock of {@code timers}
     * @param events told of each fill's end: commits on a blocking-work thread, failures on the fill's
     */
    public FillCoordinator(LocalTier disk, Executor blocking, ScheduledExecutorService timers, LongSupplier nanoTime,
                           BlobEventHub events) {
        this.events = events;
        this.disk = disk;
        this.blocking = blocking;
        this.timers = timers;
        this.nanoTime = nanoTime;
    }

    /** The fill in progress for {@code digest}, or null. */
    BlobFill inFlight(Digest digest) {
        return inFlight.get(digest);
    }

    public int inFlightCount() {
        return inFlight.size();
    }

    /** Fills running for one group (upstream). */
    public int inFlight(String group) {
        var n = perGroup.get(group);
        return n == null ? 0 : n.get();
    }

    /** {@link #claim(Digest, String, FillLimits, Supplier)} with the {@linkplain FillLimits#DEFAULT default limits}. */
    Claim claim(Digest digest, String group, Supplier<CompletableFuture<BlobTiers.Sourced>> fetch) {
        return claim(digest, group, FillLimits.DEFAULT, fetch);
    }

    /**
     * Joins the fill of {@code digest} or starts one with {@code fetch},
     * given up if it makes no progress within {@code limits}.
     * Returns null when the blob was committed in the meantime: read the store.
     */
    Claim claim(Digest digest, String group, FillLimits limits, Supplier<CompletableFuture<BlobTiers.Sourced>> fetch) {
        boolean[] started = {false};
        BlobFill fill = inFlight.computeIfAbsent(digest, d -> {
            if (disk.statNow(d).isPresent()) {
                return null;
            }
            started[0] = true;
            return new BlobFill(d, disk, blocking, new FillDeadline(timers, blocking, nanoTime, limits));
        });
        if (fill == null) {
            return null;
        }
        if (started[0]) {
            var count = perGroup.computeIfAbsent(group, g -> new AtomicInteger());
            count.incrementAndGet();
            fill.done().whenComplete((v, error) -> {
                count.decrementAndGet();
                inFlight.remove(digest, fill);
                if (error == null) {
                    log.debug("fill of {} committed", digest);
                    blocking.execute(() -> events.fillCommitted(digest, fill.origin()));
                } else {
                    log.warn("fill of {} from {} failed; nothing was stored: {}", digest,
                            fill.origin() == null ? "its source" : fill.origin().name().toLowerCase(Locale.ROOT),
                            UpstreamErrors.unwrap(error).toString());
                    events.fillFailed(digest, fill.origin());
                }
            });
            CompletableFuture<BlobTiers.Sourced> source;
            try {
                source = fetch.get();
            } catch (RuntimeException e) {
                // Thrown rather than failed (a peer address a URI cannot parse, say): the fill must still end,
                // or every later request for the digest would join a fill that never started.
                source = CompletableFuture.failedFuture(e);
            }
            fill.start(source);
        }
        return new Claim(fill, started[0]);
    }

    /**
     * Opens a range of a fill's blob of {@code size} bytes for a client. A
     * range that ends before the last byte waits until the fill verified the
     * digest (and fails as the fill does): a reader of a range that reaches
     * the end may follow the spool, because the last byte is released only
     * after verification, so a corrupt blob reaches it cut short, but a range
     * that stops earlier would arrive complete and wrong.
     */
    CompletableFuture<Content> openVerified(BlobFill fill, long size, long offset, long length) {
        CompletableFuture<Void> verified = offset + length < size ? fill.done() : CompletableFuture.completedFuture(null);
        return verified.thenCompose(v -> open(fill, offset, length));
    }

    /**
     * Opens a range of a blob that is being filled, or of the store once it
     * was committed. A range of the spool completes only once its first byte
     * is readable: the caller writes the response head when this completes,
     * and a fill that fails before then must reach the client as an error
     * status, not as a 200 head followed by a closed connection.
     */
    CompletableFuture<Content> open(BlobFill fill, long offset, long length) {
        if (fill.committed()) {
            return disk.open(fill.digest(), offset, length);
        }
        return openSpool(fill, offset, length).thenCompose(content -> content instanceof GrowingContent g
                ? firstByte(g, offset) : CompletableFuture.completedFuture(content));
    }

    /** Completes with {@code content} once its byte at {@code offset} is readable; fails (closing it) as the fill does. */
    private static CompletableFuture<Content> firstByte(GrowingContent content, long offset) {
        return content.readableAfter(offset).handle((limit, error) -> {
            if (error != null) {
                content.close();
                throw error instanceof CompletionException c ? c : new CompletionException(error);
            }
            return (Content) content;
        });
    }

    private CompletableFuture<Content> openSpool(BlobFill fill, long offset, long length) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return (Content) fill.open(offset, length);
            } catch (NoSuchFileException e) {
                return null;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, blocking).thenCompose(content -> content != null
                ? CompletableFuture.completedFuture(content)
                // The spool was renamed into the store or discarded since we looked. Either way the
                // fill is about to finish: read the store once it committed, or fail as the fill did
                // (not "not stored", which would hide why).
                : fill.done().thenCompose(v -> disk.open(fill.digest(), offset, length)));
    }
}
