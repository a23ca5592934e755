package dev.gantry.registry;

import dev.gantry.oci.Digest;
import java.util.concurrent.CompletableFuture;

/**
 * Blobs as the HTTP layer sees them: dispatched by repository kind; a
 * client's read of a proxied blob is told to prefetch (a prefetched blob put
 * to use). Mirrored repositories are read-only.
 */
public final class RoutedBlobs implements BlobService {

    private final PullThroughBlobs proxied;
    private final HostedBlobs hosted;
    private final ManifestPrefetch prefetch;

    public RoutedBlobs(PullThroughBlobs proxied, HostedBlobs hosted, ManifestPrefetch prefetch) {
        this.proxied = proxied;
        this.hosted = hosted;
        this.prefetch = prefetch;
    }

    @Override
    public CompletableFuture<BlobResult> get(Repository repo, Digest digest, boolean headOnly) {
        if (repo.isHosted()) {
            return hosted.get(repo, digest, headOnly);
        }
        prefetch.requested(digest); // a client asked: prefetch counts what it fetched that was then used
        return proxied.get(repo, digest, headOnly);
    }

    @Override
    public CompletableFuture<Void> delete(Repository repo, Digest digest) {
        return repo.isHosted() ? hosted.delete(repo, digest)
                : CompletableFuture.failedFuture(RoutedManifests.readOnly(repo));
    }
}
