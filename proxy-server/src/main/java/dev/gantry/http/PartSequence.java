package dev.gantry.http;

import dev.gantry.content.Content;
import java.util.concurrent.CompletableFuture;

/**
 * A response body made of several contents sent one after another (the parts
 * of a {@code multipart/byteranges} body). Not thread-safe: the exchange asks
 * for one content at a time.
 */
interface PartSequence extends AutoCloseable {

    /**
     * Opens the next content, which the caller then owns; null when the body
     * is complete.
     */
    CompletableFuture<Content> next();

    /** Releases whatever was opened ahead and not handed out. Idempotent. */
    @Override
    void close();
}
