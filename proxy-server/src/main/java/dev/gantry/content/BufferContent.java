package dev.gantry.content;

import io.netty.buffer.ByteBuf;
import io.netty.util.ReferenceCountUtil;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Bytes in memory. The receiver owns one reference to the buffer: sending it
 * (which transfers the reference to Netty) or {@link #close()} releases it,
 * never both — call {@link #take()} to send.
 */
public final class BufferContent implements Content {
    private final ByteBuf buffer;
    private final AtomicBoolean owned = new AtomicBoolean(true);

    public BufferContent(ByteBuf buffer) {
        this.buffer = Objects.requireNonNull(buffer, "buffer");
    }

    @Override
    public long length() {
        return buffer.readableBytes();
    }

    /** Hands the buffer (and its reference) to the caller; {@link #close()} becomes a no-op. */
    public ByteBuf take() {
        if (!owned.compareAndSet(true, false)) {
            throw new IllegalStateException("buffer already taken or released");
        }
        return buffer;
    }

    @Override
    public void close() {
        if (owned.compareAndSet(true, false)) {
            ReferenceCountUtil.release(buffer);
        }
    }
}
