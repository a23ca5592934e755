package dev.gantry.registry;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.gantry.content.Content;
import dev.gantry.metrics.GantryMetrics;
import dev.gantry.oci.Digest;
import dev.gantry.oci.ErrorCode;
import dev.gantry.oci.RegistryException;
import dev.gantry.oci.RepositoryName;
import dev.gantry.upstream.UpstreamRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Blobs of proxied repositories, read in tier order: memory and disk (when
 * the repository may see the blob), then the one fill of that digest, whose
 * source is the shared S3 tier when it holds the blob and the repository is
 * known to have it, else upstream.
 */
public final class PullThroughBlobs {

    private final BlobTiers tiers;
    private final FillCoordinator fills;
    private final UpstreamRegistry upstream;
    private final LayerTypes layerTypes;
    private final RepositoryLinks links;
    /** Blobs upstream said a repository does not have, for a short while. */
    private final Cache<NotFound, Boolean> notFound;
    private final GantryMetrics metrics;

    public PullThroughBlobs(BlobTiers tiers, FillCoordinator fills, UpstreamRegistry upstream, RepositoryLinks links,
                     LayerTypes layerTypes, Duration notFoundTtl, long notFoundEntries, Clock clock, GantryMetrics metrics) {
        this.metrics = metrics;
        this.layerTypes = layerTypes;
        this.tiers = tiers;
        this.fills = fills;
        this.upstream = upstream;
        this.links = links;
        this.notFound = Caffeine.newBuilder()
                .expireAfterWrite(notFoundTtl.toNanos(), TimeUnit.NANOSECONDS)
                .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis()))
                .maximumSize(notFoundEntries)
                .build();
    }

    private record NotFound(String namespace, RepositoryName repository, Digest digest) {
    }

    CompletableFuture<BlobResult> get(Repository repo, Digest digest, boolean headOnly) {
        NotFound negativeKey = new NotFound(repo.namespace(), repo.name(), digest);
        if (notFound.getIfPresent(negativeKey) != null) {
            return CompletableFuture.failedFuture(new RegistryException(ErrorCode.BLOB_UNKNOWN,
                    "blob " + digest + " not found at " + repo.namespace() + " (remembered)"));
        }
        BlobTiers.Local local = tiers.local(digest);
        metrics.tierRead("memory", local != null && local.memory());
        if (local == null || !local.memory()) {
            metrics.tierRead("disk", local != null);
        }
        if (local != null) {
            return authorize(repo, digest).thenApply(v -> result(digest, local.size(), CacheOutcome.HIT,
                    (off, len) -> openStored(repo, digest, local.size(), off, len)));
        }
        BlobFill running = fills.inFlight(digest);
        if (running != null) {
            // A joiner gets the fill's failure as an OCI error too (unmapped, it was a 500).
            return authorize(repo, digest).thenCompose(v -> fromFill(repo, running, false))
                    .exceptionallyCompose(e -> CompletableFuture.failedFuture(
                            UpstreamErrors.map(e, repo, ErrorCode.BLOB_UNKNOWN, "blob " + digest)));
        }
        CompletableFuture<BlobResult> result = links.isLinked(repo, digest).thenCompose(linked -> headOnly
                ? head(repo, digest, linked)
                : fill(repo, digest, linked));
        return result.exceptionallyCompose(e -> {
            if (UpstreamErrors.isNotFound(e)) {
                notFound.put(negativeKey, Boolean.TRUE);
            }
            return CompletableFuture.failedFuture(UpstreamErrors.map(e, repo, ErrorCode.BLOB_UNKNOWN, "blob " + digest));
        });
    }

    /**
     * Starts or joins the fill. The shared tier may be the source only when
     * the repository is known to hold the blob; otherwise the upstream
     * serving it is what proves the repository may see it.
     */
    private CompletableFuture<BlobResult> fill(Repository repo, Digest digest, boolean linked) {
        FillCoordinator.Claim claim = claim(repo, digest, linked);
        if (claim == null) {
            return get(repo, digest, false);
        }
        if (!claim.started()) {
            return (linked ? CompletableFuture.<Void>completedFuture(null) : authorize(repo, digest))
                    .thenCompose(v -> fromFill(repo, claim.fill(), false));
        }
        return fromFill(repo, claim.fill(), true).thenCompose(r -> linked
                ? CompletableFuture.completedFuture(r)
                : links.link(repo, List.of(digest)).thenApply(v -> r));
    }

    private FillCoordinator.Claim claim(Repository repo, Digest digest, boolean linked) {
        return fills.claim(digest, repo.namespace(), FillLimits.of(repo.upstream()), () -> tiers.source(digest, linked,
                () -> upstream.getBlob(repo.upstream(), repo.name().toString(), digest, repo.asksPeers(),
                        layerTypes.mediaType(digest))));
    }

    private CompletableFuture<BlobResult> fromFill(Repository repo, BlobFill fill, boolean started) {
        return fill.sized().thenApply(size -> {
            CacheOutcome outcome = !started ? CacheOutcome.JOINED
                    : fill.origin() == BlobTiers.Origin.SHARED ? CacheOutcome.SHARED : CacheOutcome.MISS;
            if (started && tiers.hasShared()) {
                metrics.tierRead("s3", fill.origin() == BlobTiers.Origin.SHARED);
            }
            return result(fill.digest(), size, outcome, (off, len) -> openFill(repo, fill, size, off, len));
        });
    }

    /**
     * Opens a range of a blob being filled (see {@link FillCoordinator#openVerified}).
     * The fill may have failed between the size and this open (a fast upstream
     * that cut off, a blob that did not verify): the client then gets the
     * upstream's failure, before any header was sent.
     */
    private CompletableFuture<Content> openFill(Repository repo, BlobFill fill, long size, long offset, long length) {
        return fills.openVerified(fill, size, offset, length).exceptionallyCompose(e -> CompletableFuture.failedFuture(
                UpstreamErrors.map(e, repo, ErrorCode.BLOB_UNKNOWN, "blob " + fill.digest())));
    }

    /**
     * Opens a stored blob. If it went missing since it was found (evicted, or
     * its file removed under the store), the fill that brings it back serves
     * it: joined if one runs, else started. The repository was authorized for
     * the hit, so the repository may see what the fill brings.
     */
    private CompletableFuture<Content> openStored(Repository repo, Digest digest, long size, long offset, long length) {
        return tiers.openLocal(digest, size, offset, length).exceptionallyCompose(e -> {
            if (!BlobTiers.isNotFound(e)) {
                return CompletableFuture.failedFuture(e);
            }
            FillCoordinator.Claim claim = claim(repo, digest, true);
            return claim == null
                    ? tiers.openLocal(digest, size, offset, length) // committed again meanwhile
                    : openFill(repo, claim.fill(), size, offset, length);
        });
    }

    /** A HEAD for an uncached blob: the shared tier may answer if the repository holds it; else upstream. */
    private CompletableFuture<BlobResult> head(Repository repo, Digest digest, boolean linked) {
        CompletableFuture<OptionalLong> shared = linked
                ? tiers.statShared(digest) : CompletableFuture.completedFuture(OptionalLong.empty());
        return shared.thenCompose(size -> {
            if (size.isPresent()) {
                return CompletableFuture.completedFuture(result(digest, size.getAsLong(), CacheOutcome.SHARED, null));
            }
            return upstream.headBlob(repo.upstream(), repo.name().toString(), digest).thenCompose(upstreamSize -> {
                if (upstreamSize < 0) {
                    return CompletableFuture.failedFuture(new RegistryException(ErrorCode.UNAVAILABLE,
                            repo.namespace() + " did not report the size of " + digest));
                }
                return links.link(repo, List.of(digest))
                        .thenApply(v -> result(digest, upstreamSize, CacheOutcome.UPSTREAM, null));
            });
        });
    }

    /**
     * Completes when {@code repo} may see {@code digest}: it is linked, or
     * its upstream confirms with a HEAD (after which it is linked).
     */
    private CompletableFuture<Void> authorize(Repository repo, Digest digest) {
        return links.isLinked(repo, digest).thenCompose(linked -> {
            if (linked) {
                return CompletableFuture.completedFuture(null);
            }
            return upstream.headBlob(repo.upstream(), repo.name().toString(), digest)
                    .exceptionallyCompose(e -> CompletableFuture.failedFuture(
                            UpstreamErrors.map(e, repo, ErrorCode.BLOB_UNKNOWN, "blob " + digest)))
                    .thenCompose(size -> links.link(repo, List.of(digest)));
        });
    }

    private static BlobResult result(Digest digest, long size, CacheOutcome outcome, HostedBlobs.Opener opener) {
        return HostedBlobs.result(digest, size, outcome, opener);
    }
}
