package dev.gantry.http;

import dev.gantry.oci.ErrorCode;
import dev.gantry.oci.RegistryException;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.Map;

/**
 * Per connection: takes requests one at a time (pipelined ones wait their
 * turn), hands each to the {@link RouteGuard}, and turns anything thrown on
 * the way into an OCI error. Every request ends in exactly one response.
 */
final class RequestHandler extends ChannelInboundHandlerAdapter implements Exchange.Listener {

    private final ServerState state;
    private final RouteGuard routes;
    private final ExchangeRecorder recorder;
    private final boolean tls;
    private final ArrayDeque<Object> waiting = new ArrayDeque<>();
    private Exchange current;
    /** The current request's body has not fully arrived. */
    private boolean bodyPending;

    RequestHandler(ServerState state, RouteGuard routes, ExchangeRecorder recorder, boolean tls) {
        this.state = state;
        this.routes = routes;
        this.recorder = recorder;
        this.tls = tls;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!waiting.isEmpty() || (msg instanceof HttpRequest && (current != null || bodyPending))) {
            // Pipelined: keep the order, take it when this exchange is over.
            waiting.add(msg);
            return;
        }
        process(ctx, msg);
    }

    private void process(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest request) {
            start(ctx, request);
            return;
        }
        if (msg instanceof HttpContent content) {
            boolean last = content instanceof LastHttpContent;
            boolean malformed = content.decoderResult().isFailure();
            if (bodyPending && current != null) {
                current.offerBody(content); // a malformed piece breaks the body off, and the connection closes after
            } else {
                content.release();
                if (malformed) {
                    // The decoder discards all that follows: a kept connection would never answer again.
                    drop();
                    LingeringClose.close(ctx);
                    return;
                }
            }
            if (bodyPending && last) {
                bodyPending = false;
            }
            if (!bodyPending && current == null) {
                next(ctx);
            }
            return;
        }
        ReferenceCountUtil.release(msg);
    }

    private void next(ChannelHandlerContext ctx) {
        while (current == null && !bodyPending && !waiting.isEmpty()) {
            process(ctx, waiting.poll());
        }
    }

    private void start(ChannelHandlerContext ctx, HttpRequest request) {
        bodyPending = !(request instanceof LastHttpContent);
        Exchange ex = new Exchange(ctx, request, tls, recorder, this);
        current = ex;
        state.requestStarted();
        if (state.draining()) {
            ex.closeAfterResponse();
        }
        RegistryException badEscapes;
        if (request.decoderResult().isFailure()) {
            ex.closeAfterResponse();
            ex.respond(ErrorResponses.malformed(request.decoderResult().cause(), ex.isHead(), ctx.alloc()));
        } else if ((badEscapes = ex.malformedEscapes()) != null) {
            ex.fail(badEscapes);
        } else {
            try {
                Route route = Route.parse(ex.rawPath());
                ex.route(route.label());
                routes.route(ex, route);
            } catch (RuntimeException e) {
                ex.fail(e);
            }
        }
        if (request instanceof HttpContent content) {
            if (current == ex) {
                ex.offerBody(content.retain());
            }
            content.release();
        }
    }

    /** Whether a request is being answered (a shutdown lets it finish). */
    boolean busy() {
        return current != null;
    }

    @Override
    public void exchangeDone(Exchange ex, boolean keepConnection) {
        current = null;
        state.requestFinished();
        if (keepConnection && bodyPending && KeepAlive.declaresBody(ex.request())) {
            // A body we do not want is still arriving: cheaper to close than to read it, but
            // gently, or the reset destroys the response the client has not read yet.
            LingeringClose.close(ex.ctx());
            keepConnection = false;
        }
        if (!keepConnection) {
            drop();
            return;
        }
        next(ex.ctx());
    }

    private void drop() {
        while (!waiting.isEmpty()) {
            ReferenceCountUtil.release(waiting.poll());
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent && current == null) {
            ctx.close();
            return;
        }
        if (evt instanceof IdleStateEvent && bodyPending && current.bodyStalledByClient()) {
            // Nothing read or written for the idle time while the client owed the rest of its body: 408, and the
            // consumer (an upload session) is released instead of waiting for a body that does not come.
            current.bodyBroken(new RegistryException(ErrorCode.UNSUPPORTED, 408, "the request body stopped arriving",
                    Map.of(), null));
            return;
        }
        if (evt == HeaderDeadline.EXPIRED) {
            headTimedOut(ctx);
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    /**
     * A request's head did not arrive in time. With nothing being answered,
     * the client hears 408 and the connection closes; while a response is on
     * its way (the stalled head is a pipelined next request), the connection
     * closes after that response.
     */
    private void headTimedOut(ChannelHandlerContext ctx) {
        drop();
        if (current != null) {
            current.closeAfterResponse();
            return;
        }
        var response = ErrorResponses.of(ErrorCode.UNSUPPORTED, 408, "the request head did not arrive in time", false, ctx.alloc());
        response.headers().set(HttpHeaderNames.CONNECTION, "close");
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        drop();
        if (current != null && bodyPending) {
            // The client left mid-body: the consumer hears it, so the exchange ends and its session is released.
            bodyPending = false;
            current.bodyBroken(new RegistryException(ErrorCode.UNSUPPORTED, 400,
                    "the connection closed before the request body was complete", Map.of(), null));
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // Resets and broken pipes are the client leaving; the exchange notices on its next write.
        ctx.close();
    }

}
