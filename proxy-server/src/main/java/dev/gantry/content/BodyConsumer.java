package dev.gantry.content;

import io.netty.buffer.ByteBuf;
import java.util.concurrent.CompletableFuture;
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

    /**
     * Completes once the consumer has judged the whole body it was given
     * (after {@link #onEnd}); fails if it rejected it, e.g. content that does
     * not hash to its digest. The transport holds the connection until then
     * and closes it instead of reusing it when this fails: a sender that lied
     * about the bytes may have lied about their framing too. Default:
     * accepted as soon as it ended.
     */
    default CompletionStage<?> verdict() {
        return CompletableFuture.completedFuture(null);
    }

    /** The body ended abnormally (connection lost, timeout, malformed response). */
    void onError(Throwable cause);
}
