package dev.gantry.content;

import io.netty.buffer.ByteBuf;
import java.util.concurrent.CompletableFuture;

/**
 * Bytes that arrive in chunks from elsewhere (a remote tier). The consumer
 * asks for the next chunk only after it has written the previous one, which
 * is what bounds memory.
 */
public non-sealed interface StreamContent extends Content {

    /**
     * The next chunk, which the caller then owns and must release; completes
     * with {@code null} at the end, exceptionally on failure (the body is then
     * incomplete and the connection must be closed).
     */
    CompletableFuture<ByteBuf> next();
}
