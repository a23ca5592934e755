package dev.gantry.http;

import dev.gantry.oci.ErrorCode;
import dev.gantry.oci.RegistryException;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.Map;

/**
 * Per connection: takes requests one at a time (pipelined ones wait their
 * turn), routes each to an endpoint, and turns anything thrown on the way
 * into an OCI error. Guard clauses first; every request ends in exactly one
 * response.
 */
final class RequestHandler extends ChannelInboundHandlerAdapter implements Exchange.Listener {

    private final HttpServer server;
    private final RegistryEndpoints endpoints;
    private final boolean tls;
    private final ArrayDeque<Object> waiting = new ArrayDeque<>();
    private Exchange current;
    /** The current request's body has not fully arrived. */
    private boolean bodyPending;

    RequestHandler(HttpServer server, RegistryEndpoints endpoints, boolean tls) {
        this.server = server;
        this.endpoints = endpoints;
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
            // Bodies of pull-side requests carry nothing we need.
            if (bodyPending && content instanceof LastHttpContent) {
                bodyPending = false;
            }
            content.release();
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
        Exchange ex = new Exchange(ctx, request, tls, server.accessLog(), server.metrics(), this);
        current = ex;
        server.requestStarted();
        if (server.draining()) {
            ex.closeAfterResponse();
        }
        if (request.decoderResult().isFailure()) {
            ex.closeAfterResponse();
            ex.respond(ErrorResponses.of(ErrorCode.UNSUPPORTED, 400,
                    "malformed request: " + request.decoderResult().cause().getMessage(), ex.isHead(), ctx.alloc()));
        } else {
            try {
                Route route = Route.parse(ex.rawPath());
                ex.route(route.label());
                route(ex, route);
            } catch (RuntimeException e) {
                ex.fail(e);
            }
        }
        if (request instanceof HttpContent content) {
            content.release();
        }
    }

    private void route(Exchange ex, Route route) {
        HttpMethod method = ex.request().method();
        boolean read = method.equals(HttpMethod.GET) || method.equals(HttpMethod.HEAD);
        switch (route.kind()) {
            case HEALTH -> ex.respond(RegistryEndpoints.json(HttpResponseStatus.OK, Map.of("status", "ok")));
            case READY -> ex.respond(server.ready()
                    ? RegistryEndpoints.json(HttpResponseStatus.OK, Map.of("status", "ready"))
                    : RegistryEndpoints.json(HttpResponseStatus.SERVICE_UNAVAILABLE, Map.of("status", "not ready")));
            case METRICS -> {
                requireRead(read, method);
                byte[] body = server.metrics().scrape();
                FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.wrappedBuffer(body));
                r.headers().set(HttpHeaderNames.CONTENT_TYPE, server.metrics().contentType()).set(HttpHeaderNames.CONTENT_LENGTH, body.length);
                ex.respond(r);
            }
            case STATUS -> {
                requireRead(read, method);
                ex.respond(RegistryEndpoints.json(HttpResponseStatus.OK, server.status()));
            }
            case BASE -> {
                requireRead(read, method);
                ex.respond(RegistryEndpoints.json(HttpResponseStatus.OK, Map.of()));
            }
            case MANIFEST -> {
                requireRead(read, method);
                endpoints.manifest(ex, route);
            }
            case BLOB -> {
                requireRead(read, method);
                endpoints.blob(ex, route);
            }
            case TAGS -> {
                requireRead(read, method);
                endpoints.tags(ex, route);
            }
            case BLOB_UPLOAD -> {
                endpoints.resolve(ex, route.name());
                throw readOnly();
            }
            case CATALOG -> throw new RegistryException(ErrorCode.UNSUPPORTED,
                    "the catalog lists hosted repositories; this mirror has none configured");
            case REFERRERS, EXTENSION -> throw new RegistryException(ErrorCode.UNSUPPORTED, 404,
                    "endpoint not available on this server", Map.of(), null);
            default -> throw new RegistryException(ErrorCode.UNSUPPORTED, 404, "no such endpoint", Map.of(), null);
        }
    }

    private static void requireRead(boolean read, HttpMethod method) {
        if (!read) {
            if (method.equals(HttpMethod.PUT) || method.equals(HttpMethod.POST)
                    || method.equals(HttpMethod.PATCH) || method.equals(HttpMethod.DELETE)) {
                throw readOnly();
            }
            throw new RegistryException(ErrorCode.UNSUPPORTED, "method " + method + " is not supported here");
        }
    }

    private static RegistryException readOnly() {
        return new RegistryException(ErrorCode.UNSUPPORTED,
                "this repository is mirrored read-only from its upstream; pushes are accepted only under "
                        + "hosted namespaces, and none is configured");
    }

    /** Whether a request is being answered (a shutdown lets it finish). */
    boolean busy() {
        return current != null;
    }

    @Override
    public void exchangeDone(Exchange ex, boolean keepConnection) {
        current = null;
        server.requestFinished();
        if (keepConnection && bodyPending && hasBody(ex.request())) {
            // A body we do not want is still arriving: cheaper to close than to read it.
            ex.ctx().close();
            keepConnection = false;
        }
        if (!keepConnection) {
            drop();
            return;
        }
        next(ex.ctx());
    }

    private static boolean hasBody(HttpRequest request) {
        return io.netty.handler.codec.http.HttpUtil.isTransferEncodingChunked(request)
                || io.netty.handler.codec.http.HttpUtil.getContentLength(request, 0L) > 0;
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
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        drop();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // Resets and broken pipes are the client leaving; the exchange notices on its next write.
        ctx.close();
    }

}
