package dev.gantry.http;

import dev.gantry.content.BufferContent;
import dev.gantry.content.Content;
import dev.gantry.content.FileContent;
import dev.gantry.content.GrowingContent;
import dev.gantry.content.StreamContent;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpContent;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongConsumer;

/**
 * Writes a response body to one connection, on its event loop: files as
 * zero-copy regions (chunked reads under TLS), buffers as they are, a growing
 * spool as it becomes readable and a stream chunk by chunk, each reading on
 * only after the write before it completed, so a slow client holds back
 * reads, not memory. Takes ownership of what it is given and closes it.
 */
final class BodyWriter {

    private final ChannelHandlerContext ctx;
    private final boolean tls;
    private final LongConsumer sent;
    private final Runnable abort;

    /**
     * @param sent told of the bytes each completed write delivered
     * @param abort cuts the response short (a source failed, or the client went away)
     */
    BodyWriter(ChannelHandlerContext ctx, boolean tls, LongConsumer sent, Runnable abort) {
        this.ctx = ctx;
        this.tls = tls;
        this.sent = sent;
        this.abort = abort;
    }

    /**
     * Writes the contents of {@code parts} in turn, asking for the next only
     * once the one before it was handed to the connection, then runs {@code then}.
     */
    void write(PartSequence parts, Runnable then) {
        CompletableFuture<Content> next;
        try {
            next = parts.next();
        } catch (RuntimeException e) {
            next = CompletableFuture.failedFuture(e);
        }
        if (next == null) {
            parts.close();
            then.run();
            return;
        }
        ctx.flush();
        next.whenComplete((content, error) -> ctx.executor().execute(() -> {
            if (error != null || !ctx.channel().isActive()) {
                if (content != null) {
                    content.close();
                }
                parts.close();
                abort.run();
                return;
            }
            write(content, () -> write(parts, then));
        }));
    }

    /**
     * Writes one content and runs {@code then} on the event loop once it was
     * handed to the connection: a file or buffer at once, a spool or stream
     * after its last piece was written. If the source fails, aborts instead.
     */
    void write(Content content, Runnable then) {
        if (content instanceof FileContent file) {
            Object body = tls
                    ? new PositionalChunkedFile(file.channel(), file.offset(), file.length(), file::close)
                    : new SharedFileRegion(file.channel(), file.offset(), file.length(), file::close);
            ctx.write(body).addListener(counting(file.length()));
            then.run();
        } else if (content instanceof BufferContent buffer) {
            long n = buffer.length();
            ctx.write(new DefaultHttpContent(buffer.take())).addListener(counting(n));
            then.run();
        } else if (content instanceof GrowingContent growing) {
            pump(growing, growing.offset(), growing.offset() + growing.length(), then);
        } else if (content instanceof StreamContent stream) {
            pump(stream, then);
        }
    }

    /** Sends a growing spool as it becomes readable; reads on only after each write completed. */
    private void pump(GrowingContent g, long position, long end, Runnable then) {
        if (position >= end) {
            g.close();
            then.run();
            return;
        }
        g.readableAfter(position).whenComplete((limit, error) -> ctx.executor().execute(() -> {
            if (error != null || !ctx.channel().isActive()) {
                g.close();
                abort.run();
                return;
            }
            long upTo = Math.min(limit, end);
            long count = upTo - position;
            Object piece = tls
                    ? new PositionalChunkedFile(g.channel(), position, count, () -> { })
                    : new SharedFileRegion(g.channel(), position, count, () -> { });
            ctx.writeAndFlush(piece).addListener(f -> {
                if (f.isSuccess()) {
                    sent.accept(count);
                    pump(g, upTo, end, then);
                } else {
                    g.close();
                    abort.run();
                }
            });
        }));
    }

    private void pump(StreamContent s, Runnable then) {
        s.next().whenComplete((chunk, error) -> ctx.executor().execute(() -> {
            if (error != null || !ctx.channel().isActive()) {
                if (chunk != null) {
                    chunk.release();
                }
                s.close();
                abort.run();
                return;
            }
            if (chunk == null) {
                s.close();
                then.run();
                return;
            }
            int n = chunk.readableBytes();
            ctx.writeAndFlush(new DefaultHttpContent(chunk)).addListener(f -> {
                if (f.isSuccess()) {
                    sent.accept(n);
                    pump(s, then);
                } else {
                    s.close();
                    abort.run();
                }
            });
        }));
    }

    private ChannelFutureListener counting(long n) {
        return f -> {
            if (f.isSuccess()) {
                sent.accept(n);
            }
        };
    }
}
