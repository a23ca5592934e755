package dev.gantry.registry;

import dev.gantry.content.Content;
import dev.gantry.oci.Digest;
import java.util.concurrent.CompletableFuture;

/**
 * A blob that can be sent: its size is known, its bytes are opened on demand
 * for a range. For a HEAD, nothing need be opened.
 */
public interface BlobResult {

    Digest digest();

    long size();

    CacheOutcome outcome();

    /**
     * Opens {@code length} bytes from {@code offset} (within {@link #size()});
     * the caller owns the content. May complete on any thread.
     */
    CompletableFuture<Content> open(long offset, long length);
}
