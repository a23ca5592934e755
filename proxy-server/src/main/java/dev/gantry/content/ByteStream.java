package dev.gantry.content;

/**
 * A body on its way in (from an upstream registry or a remote storage tier),
 * read with back-pressure. Consume it exactly once: {@link #subscribe} or
 * {@link #discard}.
 */
public interface ByteStream {

    /** The body's length, or -1 when the sender did not say. */
    long contentLength();

    /** Streams the body to {@code consumer}; see {@link BodyConsumer} for the back-pressure contract. */
    void subscribe(BodyConsumer consumer);

    /** Drops the body without reading it (or reads a small one to the end, to reuse a connection). */
    void discard();
}
