package dev.gantry.content;

/**
 * A body ready to be sent: a byte range of one blob. The HTTP layer picks the
 * cheapest way to send each kind (zero-copy for files). Every {@code Content}
 * has exactly one owner, which must call {@link #close()} once it is done,
 * whether or not it sent anything.
 */
public sealed interface Content extends AutoCloseable
        permits FileContent, BufferContent, GrowingContent, StreamContent {

    /** Number of bytes this content delivers. */
    long length();

    /** Releases what the content holds (file handles, buffers). Idempotent. */
    @Override
    void close();
}
