package dev.gantry.storage;

import dev.gantry.content.Content;
import dev.gantry.oci.Digest;
import java.io.IOException;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;

/**
 * One storage tier of content-addressed blobs: memory, disk or S3. Every tier
 * honours the same contract, checked by one abstract test suite.
 *
 * <ul>
 *   <li>Only verified content is ever visible: {@link #newWriter} is two-phase,
 *       and a blob appears to {@link #stat} and {@link #open} only after
 *       {@link BlobWriter#commit()} checked its size and digest.</li>
 *   <li>Writers of the same digest may race; each commit is atomic and every
 *       winner stores identical bytes, so the last one simply wins.</li>
 *   <li>Methods returning futures never block the caller; the others may block
 *       and must be called from a blocking-work executor.</li>
 * </ul>
 */
public interface BlobStore extends AutoCloseable {

    /** Short name for logs and metrics: {@code memory}, {@code disk}, {@code s3}. */
    String name();

    /** The size of a stored blob, or empty when this tier does not hold it. */
    CompletableFuture<OptionalLong> stat(Digest digest);

    /**
     * Opens {@code length} bytes of a stored blob from {@code offset}; the
     * caller owns the content. Fails with {@link BlobNotFoundException} when
     * the tier does not hold the blob (it may have been evicted since a stat).
     */
    CompletableFuture<Content> open(Digest digest, long offset, long length);

    /**
     * Starts a two-phase write of {@code expected}. Nothing is visible until
     * {@link BlobWriter#commit()}. May block.
     *
     * @param expectedSize the size the content must have, or -1 if unknown
     */
    BlobWriter newWriter(Digest expected, long expectedSize) throws IOException;

    /** Removes a blob; completes with whether the tier held it. */
    CompletableFuture<Boolean> delete(Digest digest);

    /** Every blob this tier holds, for eviction and inventory. May block. */
    List<StoredBlob> list() throws IOException;

    /** Bytes held, as counted by the tier. */
    long usedBytes();

    @Override
    void close();
}
