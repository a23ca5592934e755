package dev.gantry.content;

import java.nio.channels.FileChannel;
import java.util.concurrent.CompletableFuture;

/**
 * A range of a blob that is still being fetched into a spool file. Bytes
 * become readable as the fill writes them; the final byte becomes readable
 * only once the whole blob has been verified against its digest, so a reader
 * never receives a complete body with wrong content.
 */
public non-sealed interface GrowingContent extends Content {

    /** The spool file, open for reading; owned by this content. */
    FileChannel channel();

    /** File position of the first byte of the range. */
    long offset();

    /**
     * Completes with the file position up to which (exclusive) bytes may be
     * read, which is greater than {@code position}; completes exceptionally if
     * the fill fails before that. Completion may happen on any thread.
     */
    CompletableFuture<Long> readableAfter(long position);
}
