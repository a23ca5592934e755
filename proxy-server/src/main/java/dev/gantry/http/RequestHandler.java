package dev.gantry.http;

import dev.gantry.auth.Access;
import dev.gantry.oci.Digest;
import dev.gantry.oci.ErrorCode;
import dev.gantry.oci.Reference;
import dev.gantry.oci.RegistryException;
import dev.gantry.registry.Repository;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
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
    private final PushEndpoints push;
    private final AuthGate auth;
    private final HardwareEndpoints hardware;
    private final SearchEndpoint search;
    private final boolean tls;
    private final ArrayDeque<Object> waiting = new ArrayDeque<>();
    private Exchange current;
    /** The current request's body has not fully arrived. */
    private boolean bodyPending;

    RequestHandler(HttpServer server, RegistryEndpoints endpoints, PushEndpoints push, AuthGate auth, HardwareEndpoints hardware,
                   SearchEndpoint search, boolean tls) {
        this.hardware = hardware;
        this.search = search;
        this.server = server;
        this.endpoints = endpoints;
        this.push = push;
        this.auth = auth;
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
            if (bodyPending && current != null) {
                current.offerBody(content);
            } else {
                content.release();
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
        Exchange ex = new Exchange(ctx, request, tls, server.accessLog(), server.metrics(), this);
        current = ex;
        server.requestStarted();
        if (server.draining()) {
            ex.closeAfterResponse();
        }
        if (request.decoderResult().isFailure()) {
            ex.closeAfterResponse();
            ex.respond(ErrorResponses.malformed(request.decoderResult().cause(), ex.isHead(), ctx.alloc()));
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
            if (current == ex) {
                ex.offerBody(content.retain());
            }
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
                String window = ex.param("history");
                ex.respond(RegistryEndpoints.json(HttpResponseStatus.OK, window == null ? server.status() : server.history(window)));
            }
            case ROOT -> {
                requireRead(read, method);
                ex.respond(ConsoleAssets.redirectToConsole());
            }
            case CONSOLE -> {
                requireRead(read, method);
                ex.respond(server.console().serve(route.reference(), ex.request().headers().get(HttpHeaderNames.IF_NONE_MATCH)));
            }
            case SEARCH -> {
                if (search == null) {
                    throw new RegistryException(ErrorCode.UNSUPPORTED, 404, "hardware search is not available on this server", Map.of(), null);
                }
                search.search(ex, auth);
            }
            case TOKEN -> {
                requireRead(read, method);
                ex.respond(auth.token(ex));
            }
            case BASE -> {
                requireRead(read, method);
                auth.requireBase(ex);
                ex.respond(RegistryEndpoints.json(HttpResponseStatus.OK, Map.of()));
            }
            case CATALOG -> {
                requireRead(read, method);
                var caller = auth.caller(ex);
                endpoints.catalog(ex, name -> {
                    try {
                        return auth.permits(caller, endpoints.resolve(ex, name), Access.PULL);
                    } catch (RegistryException e) {
                        return false;
                    }
                });
            }
            case MANIFEST -> {
                Repository repo = endpoints.resolve(ex, route.name());
                Reference reference = Reference.parse(PushEndpoints.decode(route.reference()));
                if (read) {
                    auth.require(ex, repo, scopeName(ex, route), Access.PULL);
                    endpoints.manifest(ex, repo, reference);
                } else if (method.equals(HttpMethod.PUT)) {
                    requireHosted(repo);
                    auth.require(ex, repo, scopeName(ex, route), Access.PUSH);
                    push.putManifest(ex, repo, reference);
                } else if (method.equals(HttpMethod.DELETE)) {
                    requireHosted(repo);
                    auth.require(ex, repo, scopeName(ex, route), Access.DELETE);
                    push.deleteManifest(ex, repo, reference);
                } else {
                    throw notAllowed(method);
                }
            }
            case BLOB -> {
                Repository repo = endpoints.resolve(ex, route.name());
                Digest digest = Digest.parse(PushEndpoints.decode(route.reference()));
                if (read) {
                    auth.require(ex, repo, scopeName(ex, route), Access.PULL);
                    endpoints.blob(ex, repo, digest);
                } else if (method.equals(HttpMethod.DELETE)) {
                    requireHosted(repo);
                    auth.require(ex, repo, scopeName(ex, route), Access.DELETE);
                    push.deleteBlob(ex, repo, digest);
                } else {
                    throw notAllowed(method);
                }
            }
            case BLOB_UPLOAD -> upload(ex, route, method);
            case TAGS -> {
                requireRead(read, method);
                Repository repo = endpoints.resolve(ex, route.name());
                auth.require(ex, repo, scopeName(ex, route), Access.PULL);
                endpoints.tags(ex, repo, route.name());
            }
            case REFERRERS -> {
                requireRead(read, method);
                Repository repo = endpoints.resolve(ex, route.name());
                auth.require(ex, repo, scopeName(ex, route), Access.PULL);
                endpoints.referrers(ex, repo, Digest.parse(PushEndpoints.decode(route.reference())));
            }
            case DISCOVER -> {
                requireRead(read, method);
                ex.respond(RegistryEndpoints.json(HttpResponseStatus.OK, HardwareEndpoints.discovery()));
            }
            case EXTENSION -> {
                if (hardware == null) {
                    throw new RegistryException(ErrorCode.UNSUPPORTED, 404, "endpoint not available on this server", Map.of(), null);
                }
                Repository repo = endpoints.resolve(ex, route.name());
                hardware.route(ex, repo, route.reference(), auth, scopeName(ex, route));
            }
            case ADMIN -> server.admin().route(ex, route.reference(), auth, name -> endpoints.resolve(ex, name));
            default -> throw new RegistryException(ErrorCode.UNSUPPORTED, 404, "no such endpoint", Map.of(), null);
        }
    }

    private void upload(Exchange ex, Route route, HttpMethod method) {
        Repository repo = endpoints.resolve(ex, route.name());
        requireHosted(repo);
        String mountScope = mountScopeName(ex) != null ? "repository:" + mountScopeName(ex) + ":pull" : null;
        auth.require(ex, repo, scopeName(ex, route), Access.PUSH, mountScope);
        String id = route.reference();
        if (id == null || id.isEmpty()) {
            if (!method.equals(HttpMethod.POST)) {
                throw notAllowed(method);
            }
            var caller = auth.caller(ex);
            push.startUpload(ex, repo, mountSource(ex, scopeName(ex, route)), source -> auth.permits(caller, source, Access.PULL));
            return;
        }
        if (method.equals(HttpMethod.PATCH)) {
            push.appendUpload(ex, repo, id);
        } else if (method.equals(HttpMethod.PUT)) {
            push.completeUpload(ex, repo, id);
        } else if (method.equals(HttpMethod.GET) || method.equals(HttpMethod.HEAD)) {
            push.uploadState(ex, repo, id);
        } else if (method.equals(HttpMethod.DELETE)) {
            push.cancelUpload(ex, repo, id);
        } else {
            throw notAllowed(method);
        }
    }

    /** The {@code from=} of a mount, when it is a name a scope can carry; else null. */
    private static String mountScopeName(Exchange ex) {
        String from = ex.param("from");
        return ex.param("mount") != null && from != null && from.matches("[a-z0-9._/-]{1,255}") ? from : null;
    }

    /**
     * The repository named by {@code from=} of a mount, or null if it names
     * none Gantry knows or the caller may not read there (then: upload). A
     * token that could be widened to read there is challenged instead.
     */
    private Repository mountSource(Exchange ex, String targetScopeName) {
        String from = ex.param("from");
        if (from == null || ex.param("mount") == null) {
            return null;
        }
        Repository source;
        try {
            source = endpoints.resolve(ex, from);
        } catch (RegistryException e) {
            return null;
        }
        if (source.fromPrivateUpstream()) {
            return null; // never mounted (see Mounts): no point asking for a wider token
        }
        // Mounting reads the blob in the source: the caller must be allowed to pull there.
        String sourceScopeName = mountScopeName(ex);
        return sourceScopeName != null && auth.permitsMountSource(ex, source, targetScopeName, sourceScopeName) ? source : null;
    }

    /** The repository as a challenge's scope names it: as the client named it, with {@code ns} folded in. */
    private static String scopeName(Exchange ex, Route route) {
        String ns = ex.param("ns");
        return ns == null || ns.isEmpty() ? route.name() : ns + "/" + route.name();
    }

    /** Writes to a mirrored repository are refused whoever asks: there is nothing to authorize. */
    private void requireHosted(Repository repo) {
        if (!repo.isHosted()) {
            RegistryException e = PushEndpoints.readOnly(repo);
            throw new RegistryException(e.code(), e.status(), e.getMessage() + " (hosted namespaces: "
                    + endpoints.hostedPrefixes() + ")", Map.of(), null);
        }
    }

    private static RegistryException notAllowed(HttpMethod method) {
        return new RegistryException(ErrorCode.UNSUPPORTED, "method " + method + " is not supported here");
    }

    private static void requireRead(boolean read, HttpMethod method) {
        if (!read) {
            throw notAllowed(method);
        }
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
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // Resets and broken pipes are the client leaving; the exchange notices on its next write.
        ctx.close();
    }

}
