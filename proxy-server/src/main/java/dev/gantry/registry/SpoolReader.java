package dev.gantry.registry;

import dev.gantry.content.GrowingContent;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongFunction;

/**
 * A reader of a fill's growing spool, with its own file channel (which stays
 * valid when the spool is renamed into the store). How far it may read is
 * the fill's to say.
 */
final class SpoolReader implements GrowingContent {
    private final FileChannel channel;
    private final long offset;
    private final long length;
    private final LongFunction<CompletableFuture<Long>> readable;
    private final AtomicBoolean closed = new AtomicBoolean();

    /** @param readable completes with the readable limit once it exceeds the position given, or fails as the fill did */
    SpoolReader(FileChannel channel, long offset, long length, LongFunction<CompletableFuture<Long>> readable) {
        this.channel = channel;
        this.offset = offset;
        this.length = length;
        this.readable = readable;
    }

    @Override
    public FileChannel channel() {
        return channel;
    }

    @Override
    public long offset() {
        return offset;
    }

    @Override
    public long length() {
        return length;
    }

    @Override
    public CompletableFuture<Long> readableAfter(long position) {
        return readable.apply(position);
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // Released either way.
            }
        }
    }
}
