package dev.gantry.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A deadline for a request's head: the clock starts with the first byte of a
 * request and stops once its head (request line and headers) is decoded. A
 * client that stalls in between (a broken client, or one holding connections
 * open as Slowloris does) is told with {@link #EXPIRED}, which
 * {@link RequestHandler} answers with 408 and a close. A connection idle
 * between requests is left to the idle timer.
 *
 * <p>Two handlers, one per connection each: {@link #bytes()} goes before the
 * HTTP codec (it sees a request's first bytes), {@link #heads()} after it
 * (it sees the decoded head). Both run on the connection's event loop.
 */
final class HeaderDeadline {

    /** The user event fired (after the codec) when a head did not arrive in time. */
    static final Object EXPIRED = new Object() {
        @Override
        public String toString() {
            return "request head deadline expired";
        }
    };

    private final Duration timeout;
    private ScheduledFuture<?> timer;
    private boolean betweenRequests = true;
    private ChannelHandlerContext headsCtx;

    HeaderDeadline(Duration timeout) {
        this.timeout = Objects.requireNonNull(timeout, "timeout");
    }

    Duration timeout() {
        return timeout;
    }

    /** Goes before the codec: starts the clock on the first byte of a request. */
    ChannelInboundHandlerAdapter bytes() {
        return new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (betweenRequests && timer == null && msg instanceof ByteBuf b && b.isReadable()) {
                    timer = ctx.executor().schedule(HeaderDeadline.this::expired, timeout.toNanos(), TimeUnit.NANOSECONDS);
                }
                ctx.fireChannelRead(msg);
            }

            @Override
            public void channelInactive(ChannelHandlerContext ctx) {
                stop();
                ctx.fireChannelInactive();
            }
        };
    }

    /** Goes after the codec: stops the clock once a head is decoded, and restarts the wait after each request. */
    ChannelInboundHandlerAdapter heads() {
        return new ChannelInboundHandlerAdapter() {
            @Override
            public void handlerAdded(ChannelHandlerContext ctx) {
                headsCtx = ctx;
            }

            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (msg instanceof HttpRequest) {
                    betweenRequests = false;
                    stop();
                }
                if (msg instanceof LastHttpContent) {
                    betweenRequests = true;
                }
                ctx.fireChannelRead(msg);
            }
        };
    }

    private void stop() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private void expired() {
        timer = null;
        if (headsCtx != null && headsCtx.channel().isActive()) {
            headsCtx.fireUserEventTriggered(EXPIRED);
        }
    }
}
