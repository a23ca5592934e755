package dev.gantry.registry;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.gantry.content.Content;
import dev.gantry.oci.Digest;
import dev.gantry.oci.ErrorCode;
import dev.gantry.oci.RegistryException;
import dev.gantry.storage.BlobNotFoundException;
import dev.gantry.storage.DiskBlobStore;
import dev.gantry.upstream.UpstreamRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Blobs of proxied repositories: from the disk tier when present (and the
 * repository may see them), else from the one fill of that digest.
 */
final class PullThroughBlobs implements BlobService {

    private final DiskBlobStore disk;
    private final FillCoordinator fills;
    private final UpstreamRegistry upstream;
    private final RepositoryLinks links;
    private final Cache<String, Boolean> notFound;

    PullThroughBlobs(DiskBlobStore disk, FillCoordinator fills, UpstreamRegistry upstream, RepositoryLinks links,
                     Duration notFoundTtl, Clock clock) {
        this.disk = disk;
        this.fills = fills;
        this.upstream = upstream;
        this.links = links;
        this.notFound = Caffeine.newBuilder()
                .expireAfterWrite(notFoundTtl.toNanos(), TimeUnit.NANOSECONDS)
                .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis()))
                .maximumSize(100_000)
                .build();
    }

    @Override
    public CompletableFuture<BlobResult> get(Repository repo, Digest digest, boolean headOnly) {
        String negativeKey = repo + "@" + digest;
        if (notFound.getIfPresent(negativeKey) != null) {
            return CompletableFuture.failedFuture(new RegistryException(ErrorCode.BLOB_UNKNOWN,
                    "blob " + digest + " not found at " + repo.namespace() + " (remembered)"));
        }
        OptionalLong stored = disk.statNow(digest);
        if (stored.isPresent()) {
            return authorize(repo, digest).thenApply(v -> stored(digest, stored.getAsLong(), CacheOutcome.HIT));
        }
        BlobFill running = fills.inFlight(digest);
        if (running != null) {
            return authorize(repo, digest).thenCompose(v -> fromFill(running, CacheOutcome.JOINED));
        }
        CompletableFuture<BlobResult> result = headOnly ? headUpstream(repo, digest) : fill(repo, digest);
        return result.exceptionallyCompose(e -> {
            if (UpstreamErrors.isNotFound(e)) {
                notFound.put(negativeKey, Boolean.TRUE);
            }
            return CompletableFuture.failedFuture(UpstreamErrors.map(e, repo, ErrorCode.BLOB_UNKNOWN, "blob " + digest));
        });
    }

    private CompletableFuture<BlobResult> fill(Repository repo, Digest digest) {
        FillCoordinator.Claim claim = fills.claim(digest, () -> upstream.getBlob(repo.upstream(), repo.name().toString(), digest));
        if (claim == null) {
            return get(repo, digest, false);
        }
        if (!claim.started()) {
            return authorize(repo, digest).thenCompose(v -> fromFill(claim.fill(), CacheOutcome.JOINED));
        }
        // The upstream served this repository the blob: it may be served from the cache for it from now on.
        return fromFill(claim.fill(), CacheOutcome.MISS)
                .thenCompose(r -> links.link(repo, List.of(digest)).thenApply(v -> r));
    }

    private CompletableFuture<BlobResult> fromFill(BlobFill fill, CacheOutcome outcome) {
        return fill.sized().thenApply(size -> new BlobResult() {
            @Override
            public Digest digest() {
                return fill.digest();
            }

            @Override
            public long size() {
                return size;
            }

            @Override
            public CacheOutcome outcome() {
                return outcome;
            }

            @Override
            public CompletableFuture<Content> open(long offset, long length) {
                return fills.open(fill, offset, length);
            }
        });
    }

    private BlobResult stored(Digest digest, long size, CacheOutcome outcome) {
        return new BlobResult() {
            @Override
            public Digest digest() {
                return digest;
            }

            @Override
            public long size() {
                return size;
            }

            @Override
            public CacheOutcome outcome() {
                return outcome;
            }

            @Override
            public CompletableFuture<Content> open(long offset, long length) {
                return disk.open(digest, offset, length).exceptionallyCompose(e -> {
                    if (UpstreamErrors.unwrap(e) instanceof BlobNotFoundException) {
                        // Evicted between stat and open: the fill brings it back.
                        BlobFill running = fills.inFlight(digest);
                        if (running != null) {
                            return fills.open(running, offset, length);
                        }
                    }
                    return CompletableFuture.failedFuture(e);
                });
            }
        };
    }

    private CompletableFuture<BlobResult> headUpstream(Repository repo, Digest digest) {
        return upstream.headBlob(repo.upstream(), repo.name().toString(), digest).thenCompose(size -> {
            if (size < 0) {
                return CompletableFuture.failedFuture(new RegistryException(ErrorCode.UNAVAILABLE,
                        repo.namespace() + " did not report the size of " + digest));
            }
            return links.link(repo, List.of(digest)).thenApply(v -> (BlobResult) new BlobResult() {
                @Override
                public Digest digest() {
                    return digest;
                }

                @Override
                public long size() {
                    return size;
                }

                @Override
                public CacheOutcome outcome() {
                    return CacheOutcome.UPSTREAM;
                }

                @Override
                public CompletableFuture<Content> open(long offset, long length) {
                    return CompletableFuture.failedFuture(new IllegalStateException("HEAD result has no body"));
                }
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
}
