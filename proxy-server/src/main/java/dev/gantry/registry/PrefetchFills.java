package dev.gantry.registry;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.gantry.metrics.GantryMetrics;
import dev.gantry.oci.Digest;
import dev.gantry.prefetch.DiskReserve;
import dev.gantry.prefetch.PrefetchScheduler;
import dev.gantry.upstream.UpstreamRegistry;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * The prefetch of single blobs a served manifest names: each a
 * {@link PrefetchScheduler.Task} that fills the blob from upstream through
 * the same {@link FillCoordinator} as client fills, unless some tier holds it
 * by then or the disk tier's file system is down to the room prefetch leaves
 * to clients ({@link DiskReserve}). Keeps which prefetched blobs no client
 * has asked for yet, to count prefetches used and wasted.
 */
public final class PrefetchFills {

    private final BlobTiers tiers;
    private final FillCoordinator fills;
    private final UpstreamRegistry upstream;
    private final GantryMetrics metrics;
    private final Executor blocking;
    private final LayerTypes layerTypes;
    /** Room on the disk tier's file system that prefetch leaves to clients. */
    private final DiskReserve diskReserve;
    /** Blobs this replica prefetched and no client has asked for yet. */
    private final Cache<Digest, Boolean> unused;

    /**
     * @param layerTypes the media types of the layers of manifests served, passed to a blob's fleet owner
     *     (so that the replica that fetches a prefetched layer from upstream scans it, as for a client's fill)
     */
    public PrefetchFills(BlobTiers tiers, FillCoordinator fills, UpstreamRegistry upstream, LayerTypes layerTypes,
                         GantryMetrics metrics, Executor blocking, DiskReserve diskReserve, Clock clock, long maxUnused) {
        this.tiers = tiers;
        this.layerTypes = layerTypes;
        this.fills = fills;
        this.upstream = upstream;
        this.metrics = metrics;
        this.blocking = blocking;
        this.diskReserve = diskReserve;
        this.unused = Caffeine.newBuilder().maximumSize(maxUnused).expireAfterWrite(7, TimeUnit.DAYS)
                .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis())).build();
    }

    /** Whether this replica holds {@code d} or is filling it now: nothing to prefetch. */
    boolean heldOrFilling(Digest d) {
        return tiers.local(d) != null || fills.inFlight(d) != null;
    }

    /** The fill of {@code digest} ({@code size} bytes) that {@code repo}'s manifest names. */
    BlobTask task(Repository repo, Digest digest, long size) {
        return new BlobTask(repo, digest, size);
    }

    /** A client asked for a blob: if it was prefetched, the prefetch was used. */
    void requested(Digest d) {
        if (unused.asMap().remove(d) != null) {
            metrics.prefetch("used");
        }
    }

    /** A tier evicted a blob: if it was prefetched and never asked for, the prefetch was wasted. */
    void evicted(Digest d) {
        if (unused.asMap().remove(d) != null) {
            metrics.prefetch("wasted");
        }
    }

    /** The fill of one blob the manifest names, unless some tier (S3 included) holds it by then. */
    final class BlobTask implements PrefetchScheduler.Task {
        private final Repository repo;
        private final Digest digest;
        private final long size;
        /** Completes when the task is over: ran, skipped or dropped. */
        final CompletableFuture<Void> finished = new CompletableFuture<>();

        BlobTask(Repository repo, Digest digest, long size) {
            this.repo = repo;
            this.digest = digest;
            this.size = size;
        }

        @Override
        public String group() {
            return repo.namespace();
        }

        @Override
        public Object key() {
            return digest;
        }

        @Override
        public void dropped() {
            finished.complete(null);
        }

        @Override
        public CompletableFuture<?> run() {
            CompletableFuture<?> work;
            try {
                work = start();
            } catch (RuntimeException e) {
                finished.complete(null);
                throw e;
            }
            work.whenComplete((v, e) -> finished.complete(null));
            return work;
        }

        private CompletableFuture<?> start() {
            if (heldOrFilling(digest)) {
                metrics.prefetch("skipped_cached");
                return CompletableFuture.completedFuture(null);
            }
            // A guess that fills a nearly full disk would take the space a client's pull needs next.
            return CompletableFuture.supplyAsync(() -> diskReserve.claim(size), blocking).thenCompose(room -> {
                if (!room) {
                    metrics.prefetch("skipped_disk_reserve");
                    return CompletableFuture.completedFuture(null);
                }
                CompletableFuture<?> filled;
                try {
                    filled = fill();
                } catch (RuntimeException e) {
                    filled = CompletableFuture.failedFuture(e);
                }
                return filled.whenComplete((v, e) -> diskReserve.release(size));
            });
        }

        private CompletableFuture<?> fill() {
            return tiers.statShared(digest).thenCompose(shared -> {
                if (shared.isPresent()) {
                    metrics.prefetch("skipped_cached");
                    return CompletableFuture.completedFuture(null);
                }
                // The manifest just served for this repository names the blob: upstream is the source.
                FillCoordinator.Claim claim = fills.claim(digest, repo.namespace(), FillLimits.of(repo.upstream()), () -> tiers.source(digest, false,
                        () -> upstream.getBlob(repo.upstream(), repo.name().toString(), digest, true, layerTypes.mediaType(digest))));
                if (claim == null || !claim.started()) {
                    metrics.prefetch("skipped_cached");
                    return CompletableFuture.completedFuture(null);
                }
                metrics.prefetch("issued");
                unused.put(digest, Boolean.TRUE);
                return claim.fill().done().handle((v, e) -> null);
            });
        }
    }
}
