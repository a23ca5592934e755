package dev.gantry.registry;

import dev.gantry.oci.Digest;
import java.util.concurrent.CompletableFuture;

/** Blobs by digest. */
public interface BlobService {

    /**
     * A blob, fetched from upstream once if no tier holds it. For a HEAD
     * ({@code headOnly}) an uncached blob is only looked up upstream, not fetched.
     */
    CompletableFuture<BlobResult> get(Repository repository, Digest digest, boolean headOnly);

    /** Removes a blob from a hosted repository. */
    CompletableFuture<Void> delete(Repository repository, Digest digest);
}
