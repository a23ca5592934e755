package dev.gantry.http;

import dev.gantry.content.BodyCollector;
import dev.gantry.content.BodyConsumer;
import dev.gantry.oci.ErrorCode;
import dev.gantry.oci.RegistryException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The request body of one exchange, handed to one consumer with
 * back-pressure: pieces wait until a consumer is set; while they wait, or
 * the consumer is busy, the connection stops reading. Runs on the
 * connection's event loop.
 */
final class RequestBody {

    private final ChannelHandlerContext ctx;
    private final HttpRequest request;
    /** Marks the connection to close once the response is out (a body was refused or broke). */
    private final Runnable closeAfterResponse;
    private final ArrayDeque<HttpContent> body = new ArrayDeque<>();
    private BodyConsumer sink;
    private boolean sinkBusy;
    private boolean bodyEnded;
    private boolean sinkEnded;
    /** Why the body ended without its last piece (its framing broke, the connection closed, it stalled); else null. */
    private RegistryException broken;

    RequestBody(ChannelHandlerContext ctx, HttpRequest request, Runnable closeAfterResponse) {
        this.ctx = ctx;
        this.request = request;
        this.closeAfterResponse = closeAfterResponse;
    }

    /**
     * Takes one piece of the request body (this exchange now owns it). Pieces
     * wait until a consumer is set; while they wait, or the consumer is busy,
     * the connection stops reading: back-pressure up to the client.
     */
    void offer(HttpContent content) {
        if (content.decoderResult().isFailure()) {
            // Netty's decoder met a malformed chunk: what it hands on is not the end of this body.
            Throwable cause = content.decoderResult().cause();
            content.release();
            breakOff(new RegistryException(ErrorCode.UNSUPPORTED, 400, "the request body is malformed: "
                    + (cause == null || cause.getMessage() == null ? "bad framing" : cause.getMessage()), Map.of(), null));
            return;
        }
        body.add(content);
        if (content instanceof LastHttpContent) {
            bodyEnded = true;
        }
        pump();
    }

    /** Streams the request body to {@code consumer}; may be called once, on any thread. */
    void read(BodyConsumer consumer) {
        if (!ctx.executor().inEventLoop()) {
            ctx.executor().execute(() -> read(consumer));
            return;
        }
        if (sink != null) {
            throw new IllegalStateException("request body already taken");
        }
        sink = consumer;
        pump();
    }

    /**
     * Reads the whole request body into memory, at most {@code max} bytes;
     * more fails with {@code SIZE_INVALID} (413) and closes the connection afterwards.
     */
    CompletableFuture<byte[]> readFully(int max) {
        long declared = HttpUtil.getContentLength(request, -1L);
        if (declared > max) {
            closeAfterResponse.run();
            return CompletableFuture.failedFuture(tooLarge(max));
        }
        BodyCollector collector = new BodyCollector(declared, max, size -> {
            closeAfterResponse.run();
            return tooLarge(max);
        });
        read(collector);
        return collector.result();
    }

    private static RegistryException tooLarge(int max) {
        return new RegistryException(ErrorCode.SIZE_INVALID, 413,
                "request body is larger than the limit of " + max + " bytes", Map.of(), null);
    }

    private void pump() {
        while (sink != null && !sinkBusy && !body.isEmpty()) {
            HttpContent piece = body.poll();
            ByteBuf chunk = piece.content();
            if (!chunk.isReadable()) {
                piece.release();
                continue;
            }
            sinkBusy = true;
            sink.onData(chunk).whenComplete((v, error) -> ctx.executor().execute(() -> {
                sinkBusy = false;
                if (error != null) {
                    failed(error);
                } else {
                    pump();
                }
            }));
        }
        if (sink != null && !sinkBusy && body.isEmpty() && bodyEnded && !sinkEnded) {
            if (broken != null) {
                failed(broken); // after the pieces that came, the consumer hears why the rest will not
                return;
            }
            sinkEnded = true;
            sink.onEnd();
        }
        boolean waiting = !bodyEnded && (sinkBusy || sink == null || !body.isEmpty());
        ctx.channel().config().setAutoRead(!waiting);
    }

    private void failed(Throwable error) {
        sinkEnded = true;
        while (!body.isEmpty()) {
            body.poll().release();
        }
        closeAfterResponse.run();
        sink.onError(error);
        ctx.channel().config().setAutoRead(true);
    }

    /**
     * The body will not arrive whole (the connection closed, or it stopped arriving): the consumer hears
     * {@code why} after the pieces that came, instead of the end, and the connection closes after the response.
     * Nothing when the body has ended.
     */
    void breakOff(RegistryException why) {
        if (bodyEnded) {
            return;
        }
        broken = why;
        bodyEnded = true;
        closeAfterResponse.run();
        pump();
    }

    /** Whether the body has stopped arriving while this side was reading it (not held back by a busy consumer). */
    boolean stalledByClient() {
        return !bodyEnded && ctx.channel().config().isAutoRead();
    }

    /** Whether the whole request body has arrived. */
    boolean complete() {
        return bodyEnded;
    }

    /** The exchange is over: drops what was not read and lets the connection read again. */
    void discard() {
        while (!body.isEmpty()) {
            body.poll().release();
        }
        ctx.channel().config().setAutoRead(true);
    }
}
