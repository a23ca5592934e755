package dev.gantry.content;

import io.netty.buffer.ByteBuf;
import java.util.concurrent.CompletionStage;

/**
 * Receives a response body chunk by chunk. The transport delivers the next
 * chunk only after the stage returned for the previous one completes, and
 * reads from the socket only when the consumer is idle: that is the whole
 * back-pressure mechanism. Calls are sequential, never concurrent.
 */
public interface BodyConsumer {

    /**
     * A chunk of body bytes; the consumer owns {@code chunk} and must release
     * it. The returned stage completes when the consumer wants more; if it
     * fails, the exchange is aborted and the connection closed.
     */
    CompletionStage<?> onData(ByteBuf chunk);

    /** The body ended normally. */
    void onEnd();

    /** The body ended abnormally (connection lost, timeout, malformed response). */
    void onError(Throwable cause);
}
