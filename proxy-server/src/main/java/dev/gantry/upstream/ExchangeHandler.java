package dev.gantry.upstream;

import dev.gantry.content.BodyConsumer;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.pool.ChannelPool;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;

/**
 * One request/response on a pooled connection. Added to the pipeline for the
 * exchange and removed when the connection goes back to the pool.
 *
 * <p>The connection does not auto-read. The handler reads once to get the
 * head, then only when the body consumer is idle and nothing is queued; the
 * {@link ReadDeadline} runs only while a read is outstanding. All state is
 * touched on the channel's event loop only.
 *
 * <p>Every consumer hears how the body ended, whenever it subscribes: a
 * failure that came before {@link #subscribe} (a connection cut while the
 * consumer was being set up) is handed to it on subscription. The connection
 * goes back to the pool only after the consumer took the whole body and
 * accepted it ({@link BodyConsumer#verdict()}); a connection that was cut,
 * timed out, sent something unexpected or carried a body its consumer
 * rejected is closed, never reused.
 */
final class ExchangeHandler extends ChannelInboundHandlerAdapter implements UpstreamResponse.Body {

    static final String NAME = "exchange";

    private final ChannelPool pool;
    private final Channel channel;
    private final URI uri;
    private final long readTimeoutMillis;
    private final CompletableFuture<UpstreamResponse> head;
    private final boolean headRequest;
    private final ArrayDeque<HttpContent> queue = new ArrayDeque<>();

    private boolean keepAlive;
    /** The last body byte was read (or the exchange failed): no more reads. */
    private boolean ended;
    /** The consumer was told how the body ended (or the exchange failed before it subscribed). */
    private boolean finished;
    private boolean consumerBusy;
    /** The connection went back to the pool or was closed. */
    private boolean released;
    private BodyConsumer consumer;
    /** Written on the event loop only; volatile so that {@link #failure()} can be read from any thread. */
    private volatile Throwable failure;
    private final ReadDeadline readDeadline;

    ExchangeHandler(ChannelPool pool, Channel channel, URI uri, boolean headRequest, Duration readTimeout,
                    CompletableFuture<UpstreamResponse> head) {
        this.pool = pool;
        this.channel = channel;
        this.headRequest = headRequest;
        this.uri = uri;
        this.readTimeoutMillis = readTimeout.toMillis();
        this.head = head;
        this.readDeadline = new ReadDeadline(channel, readTimeoutMillis, () -> fail(new UpstreamException(UpstreamException.Kind.TIMEOUT,
                host() + " sent nothing for " + readTimeoutMillis + " ms", null)));
    }

    /** The request is on the wire: read the response head. */
    void start() {
        channel.eventLoop().execute(() -> {
            if (!channel.isActive()) {
                fail(new UpstreamException(UpstreamException.Kind.CLOSED, "connection to " + host() + " closed", null));
                return;
            }
            // A connection cut right after the request may already have been read to its end.
            if (!head.isDone()) {
                read();
            }
        });
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        readDeadline.cancel();
        if (finished || ended) {
            ReferenceCountUtil.release(msg);
            if (!finished) {
                // Bytes after the response's end: the connection's framing cannot be trusted.
                keepAlive = false;
            }
            return;
        }
        if (msg instanceof HttpResponse response) {
            if (response.decoderResult().isFailure()) {
                ReferenceCountUtil.release(msg);
                fail(new UpstreamException(UpstreamException.Kind.PROTOCOL,
                        "malformed response from " + host() + ": " + response.decoderResult().cause(), response.decoderResult().cause()));
                return;
            }
            if (response.status().code() == 100) {
                ReferenceCountUtil.release(msg);
                return;
            }
            if (head.isDone()) {
                ReferenceCountUtil.release(msg);
                fail(new UpstreamException(UpstreamException.Kind.PROTOCOL, host() + " sent a second response head", null));
                return;
            }
            keepAlive = HttpUtil.isKeepAlive(response);
            int code = response.status().code();
            boolean bodyless = headRequest || code == 204 || code == 304;
            head.complete(new UpstreamResponse(code, response.headers(), uri, this, bodyless));
        }
        if (msg instanceof HttpContent content) {
            if (content.decoderResult().isFailure()) {
                content.release();
                fail(new UpstreamException(UpstreamException.Kind.PROTOCOL, "malformed body from " + host(), content.decoderResult().cause()));
                return;
            }
            if (!head.isDone()) {
                // Body bytes with no head: left over from an earlier response on this connection.
                content.release();
                fail(new UpstreamException(UpstreamException.Kind.PROTOCOL, host() + " sent a body before a response head", null));
                return;
            }
            queue.add(content);
            if (content instanceof LastHttpContent) {
                ended = true;
            }
        }
        drain();
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        drain();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (!ended) {
            fail(new UpstreamException(UpstreamException.Kind.CLOSED, "connection to " + host() + " closed before the response ended", null));
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        keepAlive = false;
        fail(new UpstreamException(UpstreamException.Kind.CLOSED, "connection to " + host() + " failed: " + cause, cause));
    }

    @Override
    public void subscribe(BodyConsumer c) {
        channel.eventLoop().execute(() -> {
            if (consumer != null) {
                c.onError(new IllegalStateException("body already consumed"));
                return;
            }
            consumer = c;
            if (failure != null) {
                // The exchange failed before anyone listened: this consumer is the one to tell.
                c.onError(failure);
                return;
            }
            drain();
        });
    }

    @Override
    public void abort() {
        channel.eventLoop().execute(() -> fail(new UpstreamException(UpstreamException.Kind.CLOSED, "body discarded", null)));
    }

    /** Hands queued chunks to the consumer one at a time, then reads more if it is idle. */
    private void drain() {
        if (consumer == null || consumerBusy || finished) {
            return;
        }
        while (!queue.isEmpty() && !consumerBusy) {
            HttpContent content = queue.poll();
            ByteBuf chunk = content.content();
            if (!chunk.isReadable()) {
                chunk.release();
                continue;
            }
            consumerBusy = true;
            BodyConsumer c = consumer;
            c.onData(chunk).whenComplete((ok, err) -> channel.eventLoop().execute(() -> {
                consumerBusy = false;
                if (err != null) {
                    fail(err);
                } else {
                    drain();
                }
            }));
        }
        if (consumerBusy || finished) {
            return;
        }
        if (ended) {
            finished = true;
            BodyConsumer c = consumer;
            CompletableFuture<?> verdict = c.verdict().toCompletableFuture();
            if (verdict.isDone() && !verdict.isCompletedExceptionally()) {
                // Accepted whatever it was (an aggregated body): the connection is free before anyone hears the end.
                giveBackConnection();
                c.onEnd();
                return;
            }
            c.onEnd();
            verdict.whenComplete((ok, rejected) -> channel.eventLoop().execute(() -> {
                if (rejected != null) {
                    keepAlive = false;
                }
                giveBackConnection();
            }));
        } else if (failure == null) {
            read();
        }
    }

    private void read() {
        if (!channel.isActive() || ended) {
            return;
        }
        readDeadline.start();
        channel.read();
    }

    /**
     * Fails the exchange: the head future if it is pending, else the consumer
     * (now, or when it subscribes); closes the connection.
     */
    void fail(Throwable cause) {
        if (!channel.eventLoop().inEventLoop()) {
            channel.eventLoop().execute(() -> fail(cause));
            return;
        }
        readDeadline.cancel();
        if (finished) {
            // The consumer has the whole body; whatever broke now, the connection is not reused.
            keepAlive = false;
            return;
        }
        finished = true;
        ended = true;
        failure = cause;
        while (!queue.isEmpty()) {
            queue.poll().release();
        }
        head.completeExceptionally(cause);
        if (consumer != null) {
            consumer.onError(cause);
        }
        keepAlive = false;
        giveBackConnection();
    }

    /** The exchange is over: the connection serves the next one, or is closed if it cannot be trusted. */
    private void giveBackConnection() {
        readDeadline.cancel();
        if (released) {
            return;
        }
        released = true;
        if (!keepAlive) {
            channel.close();
        }
        if (channel.pipeline().get(NAME) == this) {
            channel.pipeline().remove(this);
        }
        if (channel.eventLoop().isShuttingDown()) {
            // The process is stopping: there is no pool to give the connection back to, and the
            // pool's notification would be refused by the stopping event loop (an ERROR line).
            channel.close();
            return;
        }
        pool.release(channel);
    }

    /**
     * How the exchange failed (a cut, a timeout, a protocol error), or null
     * while it has not: lets a test wait for a cut instead of sleeping.
     */
    Throwable failure() {
        return failure;
    }

    private String host() {
        return uri.getHost() + (uri.getPort() > 0 ? ":" + uri.getPort() : "");
    }
}
