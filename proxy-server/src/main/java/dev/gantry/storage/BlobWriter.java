package dev.gantry.storage;

import dev.gantry.oci.Digest;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A write in progress: bytes go to a private place while they are hashed;
 * {@link #commit()} publishes them only if size and digest match. Not
 * thread-safe: one writer, one thread at a time. May block.
 */
public interface BlobWriter extends AutoCloseable {

    /** Appends the remaining bytes of {@code src}. */
    void write(ByteBuffer src) throws IOException;

    /** Bytes written so far. */
    long written();

    /**
     * Verifies and publishes the blob atomically.
     *
     * @throws DigestMismatchException when the bytes do not hash to the
     *     expected digest or their count differs from the expected size; the
     *     write is then discarded
     */
    Digest commit() throws IOException;

    /** Discards the write. Idempotent; a no-op after a successful commit. */
    void abort();

    /** Same as {@link #abort()}: closing an uncommitted writer discards it. */
    @Override
    default void close() {
        abort();
    }
}
