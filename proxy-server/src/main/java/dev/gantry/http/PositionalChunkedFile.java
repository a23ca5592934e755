package dev.gantry.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.stream.ChunkedInput;
import java.io.IOException;
import java.nio.channels.FileChannel;

/**
 * A file range sent in chunks, for connections where zero-copy is impossible
 * (TLS). Unlike Netty's {@code ChunkedNioFile} it reads with positional reads
 * and never closes the channel, which may be shared; closing runs
 * {@code release} instead.
 */
final class PositionalChunkedFile implements ChunkedInput<ByteBuf> {

    private static final int CHUNK = 64 * 1024;

    private final FileChannel channel;
    private final long start;
    private final long end;
    private final Runnable release;
    private long position;
    private boolean closed;

    PositionalChunkedFile(FileChannel channel, long offset, long length, Runnable release) {
        this.channel = channel;
        this.start = offset;
        this.end = offset + length;
        this.position = offset;
        this.release = release;
    }

    @Override
    public boolean isEndOfInput() {
        return position >= end;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            release.run();
        }
    }

    @Deprecated
    @Override
    public ByteBuf readChunk(ChannelHandlerContext ctx) throws IOException {
        return readChunk(ctx.alloc());
    }

    @Override
    public ByteBuf readChunk(ByteBufAllocator allocator) throws IOException {
        if (position >= end) {
            return null;
        }
        int size = (int) Math.min(CHUNK, end - position);
        ByteBuf buf = allocator.buffer(size);
        boolean ok = false;
        try {
            int read = 0;
            while (read < size) {
                int n = buf.writeBytes(channel, position + read, size - read);
                if (n < 0) {
                    throw new IOException("file ended early at " + (position + read));
                }
                read += n;
            }
            position += read;
            ok = true;
            return buf;
        } finally {
            if (!ok) {
                buf.release();
            }
        }
    }

    @Override
    public long length() {
        return end - start;
    }

    @Override
    public long progress() {
        return position - start;
    }
}
