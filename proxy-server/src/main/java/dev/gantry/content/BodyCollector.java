package dev.gantry.content;

import io.netty.buffer.ByteBuf;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.LongFunction;

/**
 * A {@link BodyConsumer} that gathers a whole body in memory, up to a limit:
 * for the small bodies read at once (manifests, tokens, pushed manifests).
 * Past the limit it stops reading (the stream is aborted) and the result
 * fails with what {@code tooLarge} makes of the size seen.
 */
public final class BodyCollector implements BodyConsumer {

    private final CompletableFuture<byte[]> result = new CompletableFuture<>();
    private final ByteArrayOutputStream out;
    private final int max;
    private final LongFunction<? extends Throwable> tooLarge;

    /**
     * @param declared the announced length, or a negative number when unknown (sizes the buffer only)
     * @param tooLarge the failure for a body of the given size, over {@code max}
     */
    public BodyCollector(long declared, int max, LongFunction<? extends Throwable> tooLarge) {
        this.max = max;
        this.tooLarge = tooLarge;
        this.out = new ByteArrayOutputStream(declared > 0 && declared <= max ? (int) declared : 1024);
    }

    /** The whole body, or the failure that ended it. */
    public CompletableFuture<byte[]> result() {
        return result;
    }

    @Override
    public CompletionStage<?> onData(ByteBuf chunk) {
        try {
            if (out.size() + chunk.readableBytes() > max) {
                Throwable e = tooLarge.apply((long) out.size() + chunk.readableBytes());
                result.completeExceptionally(e);
                return CompletableFuture.failedFuture(e);
            }
            chunk.readBytes(out, chunk.readableBytes());
            return CompletableFuture.completedFuture(null);
        } catch (IOException e) {
            return CompletableFuture.failedFuture(e);
        } finally {
            chunk.release();
        }
    }

    @Override
    public void onEnd() {
        result.complete(out.toByteArray());
    }

    @Override
    public void onError(Throwable cause) {
        result.completeExceptionally(cause);
    }
}
