package dev.gantry.app;

import dev.gantry.fleet.HotSet;
import dev.gantry.oci.Digest;
import dev.gantry.registry.BlobResult;
import dev.gantry.registry.BlobService;
import dev.gantry.registry.Repository;
import java.util.concurrent.CompletableFuture;

/**
 * The registry's blobs, each GET a client got counted in the {@link HotSet}
 * (HEADs and failures are not): what a new replica of the fleet copies to its
 * disk before it takes traffic.
 */
final class CountingBlobs implements BlobService {

    private final BlobService blobs;
    private final HotSet hot;

    CountingBlobs(BlobService blobs, HotSet hot) {
        this.blobs = blobs;
        this.hot = hot;
    }

    @Override
    public CompletableFuture<BlobResult> get(Repository repository, Digest digest, boolean headOnly) {
        CompletableFuture<BlobResult> result = blobs.get(repository, digest, headOnly);
        if (!headOnly) {
            result.thenAccept(r -> hot.served(repository.requestedName(), digest, r.size()));
        }
        return result;
    }

    @Override
    public CompletableFuture<Void> delete(Repository repository, Digest digest) {
        return blobs.delete(repository, digest);
    }
}
