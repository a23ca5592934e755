package dev.gantry.storage;

import dev.gantry.content.Content;
import dev.gantry.oci.Digest;
import java.io.IOException;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;

/**
 * This replica's own blob tier as the fill and upload code sees it: what it
 * holds now, a range of what it holds, and spool writers that hash as they
 * write and publish only verified bytes ({@link SpoolWriter#commit()},
 * {@link SpoolWriter#commitAs}). {@link DiskBlobStore} implements it; the
 * composition root hands that instance over as this interface, so the
 * request path calls it directly, with no adapter in between.
 *
 * <p>Thread-safe: any thread may stat, open and start writers; each writer
 * is used by one thread at a time.
 */
public interface LocalTier {

    /** The size of {@code digest} if this tier holds it now. Never blocks, never touches the disk. */
    OptionalLong statNow(Digest digest);

    /**
     * Opens {@code length} bytes of a held blob from {@code offset}; fails
     * with {@link BlobNotFoundException} when the tier does not hold it.
     */
    CompletableFuture<Content> open(Digest digest, long offset, long length);

    /**
     * A writer for a blob whose digest is known before its bytes (a fill);
     * {@code expectedSize} is -1 when unknown. May block.
     */
    SpoolWriter newWriter(Digest expected, long expectedSize) throws IOException;

    /** A writer whose digest is named only when it completes (a push): commit it with {@link SpoolWriter#commitAs}. May block. */
    SpoolWriter newUpload() throws IOException;
}
