package dev.gantry.registry;

import dev.gantry.content.Content;
import dev.gantry.oci.Digest;
import dev.gantry.oci.ErrorCode;
import dev.gantry.oci.RegistryException;
import dev.gantry.upstream.UpstreamStatusException;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Blobs of hosted repositories: served from the tiers when the repository
 * holds them (uploaded or mounted), never fetched from anywhere else.
 * Deleting removes the blob from the repository; its bytes stay as long as
 * another repository holds them.
 */
public final class HostedBlobs {

    private final BlobTiers tiers;
    private final FillCoordinator fills;
    private final RepositoryLinks links;
    private final ManifestStore manifests;

    public HostedBlobs(BlobTiers tiers, FillCoordinator fills, RepositoryLinks links, ManifestStore manifests) {
        this.tiers = tiers;
        this.fills = fills;
        this.links = links;
        this.manifests = manifests;
    }

    CompletableFuture<BlobResult> get(Repository repo, Digest digest, boolean headOnly) {
        return links.isLinked(repo, digest).thenCompose(linked -> {
            if (!linked) {
                return CompletableFuture.failedFuture(unknown(repo, digest));
            }
            BlobTiers.Local local = tiers.local(digest);
            if (local != null) {
                return CompletableFuture.completedFuture(result(digest, local.size(), CacheOutcome.HIT,
                        (off, len) -> openStored(repo, digest, local.size(), off, len)));
            }
            BlobFill running = fills.inFlight(digest);
            if (running != null) {
                return running.sized().thenApply(size -> result(digest, size, CacheOutcome.JOINED,
                        (off, len) -> openFill(repo, running, size, off, len)));
            }
            if (headOnly) {
                return tiers.statShared(digest).thenApply(size -> {
                    if (size.isEmpty()) {
                        throw unknown(repo, digest);
                    }
                    return result(digest, size.getAsLong(), CacheOutcome.SHARED, null);
                });
            }
            FillCoordinator.Claim claim = claim(repo, digest);
            if (claim == null) {
                return get(repo, digest, false);
            }
            return claim.fill().sized()
                    .thenApply(size -> result(digest, size, CacheOutcome.SHARED,
                            (off, len) -> openFill(repo, claim.fill(), size, off, len)))
                    .exceptionallyCompose(e -> CompletableFuture.failedFuture(missing(repo, digest, e)));
        });
    }

    /** Only the shared tier can hold what no local tier does; there is no upstream to ask. */
    private FillCoordinator.Claim claim(Repository repo, Digest digest) {
        return fills.claim(digest, repo.namespace(), () -> tiers.source(digest, true,
                () -> CompletableFuture.failedFuture(new UpstreamStatusException(404, "not stored", null))));
    }

    /** A stored blob that went missing since it was found is brought back from the shared tier, if it holds it. */
    private CompletableFuture<Content> openStored(Repository repo, Digest digest, long size, long offset, long length) {
        return tiers.openLocal(digest, size, offset, length).exceptionallyCompose(e -> {
            if (!BlobTiers.isNotFound(e)) {
                return CompletableFuture.failedFuture(e);
            }
            FillCoordinator.Claim claim = claim(repo, digest);
            return claim == null
                    ? tiers.openLocal(digest, size, offset, length)
                    : openFill(repo, claim.fill(), size, offset, length);
        });
    }

    /** A range of a blob being brought back from the shared tier; see {@link FillCoordinator#openVerified}. */
    private CompletableFuture<Content> openFill(Repository repo, BlobFill fill, long size, long offset, long length) {
        return fills.openVerified(fill, size, offset, length)
                .exceptionallyCompose(e -> CompletableFuture.failedFuture(missing(repo, fill.digest(), e)));
    }

    private static RegistryException missing(Repository repo, Digest digest, Throwable failure) {
        Throwable t = UpstreamErrors.unwrap(failure);
        if (t instanceof RegistryException r) {
            return r;
        }
        if (UpstreamErrors.isNotFound(t) || BlobTiers.isNotFound(t)) {
            return new RegistryException(ErrorCode.BLOB_UNKNOWN, "blob " + digest + " of " + repo.name()
                    + " is missing from storage; push it again");
        }
        return new RegistryException(ErrorCode.UNAVAILABLE, 503, "reading blob " + digest + " from shared storage failed: " + t,
                Map.of("Retry-After", "5"), t);
    }

    /**
     * Unlinks a blob from the repository. A manifest's digest is not a blob's: manifests and blobs share the
     * repository's links, so unlinking it would leave its tags naming a manifest the repository no longer
     * serves. It is {@code BLOB_UNKNOWN}, as in Distribution, which keeps the two apart.
     */
    CompletableFuture<Void> delete(Repository repo, Digest digest) {
        return SharedWrites.acknowledged(manifests.get(digest).thenCompose(manifest -> {
            if (manifest.isPresent()) {
                return CompletableFuture.failedFuture(new RegistryException(ErrorCode.BLOB_UNKNOWN, digest + " is a manifest of "
                        + repo.name() + ", not a blob: delete it with DELETE /v2/" + repo.requestedName() + "/manifests/" + digest));
            }
            return links.isLinked(repo, digest).thenCompose(linked -> linked
                    ? links.unlink(repo, digest)
                    : CompletableFuture.failedFuture(unknown(repo, digest)));
        }));
    }

    private static RegistryException unknown(Repository repo, Digest digest) {
        return new RegistryException(ErrorCode.BLOB_UNKNOWN, "blob " + digest + " not found in " + repo.name());
    }

    @FunctionalInterface
    interface Opener {
        CompletableFuture<Content> open(long offset, long length);
    }

    static BlobResult result(Digest digest, long size, CacheOutcome outcome, Opener opener) {
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
                return opener == null
                        ? CompletableFuture.failedFuture(new IllegalStateException("a HEAD result has no body"))
                        : opener.open(offset, length);
            }
        };
    }
}
