package dev.gantry.http;

import dev.gantry.auth.Authenticator;
import dev.gantry.content.BodyConsumer;
import dev.gantry.content.Content;
import dev.gantry.metrics.GantryMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One request and its response. Responses may be started from any thread;
 * the exchange moves onto the connection's event loop. Exactly one response
 * is sent; a body that fails midway closes the connection, so the client sees
 * fewer bytes than {@code Content-Length} rather than a wrong body.
 */
final class Exchange {

    /** Header every response carries, as Distribution does. */
    static final String API_VERSION = "registry/2.0";

    private final ChannelHandlerContext ctx;
    private final HttpRequest request;
    private final QueryStringDecoder uri;
    private final long startNanos;
    private final boolean head;
    private final boolean tls;
    private final AccessLog accessLog;
    private final GantryMetrics metrics;
    private final Listener listener;
    private String route = "unknown";
    private boolean keepAlive;
    private boolean responded;
    private final RequestBody requestBody;
    private final BodyWriter body;
    private int status;
    private long bytes;
    private String outcome = "-";
    private String note;
    /** The {@code ns} that selected the upstream, echoed as {@code OCI-Namespace}; null if none did. */
    private String namespace;

    /** Told when the exchange is over, on the event loop. */
    interface Listener {
        void exchangeDone(Exchange exchange, boolean keepConnection);
    }

    Exchange(ChannelHandlerContext ctx, HttpRequest request, boolean tls, AccessLog accessLog, GantryMetrics metrics,
             Listener listener) {
        this.ctx = ctx;
        this.request = request;
        this.uri = new QueryStringDecoder(request.uri());
        this.startNanos = System.nanoTime();
        this.head = request.method().equals(HttpMethod.HEAD);
        this.tls = tls;
        this.accessLog = accessLog;
        this.metrics = metrics;
        this.listener = listener;
        this.keepAlive = HttpUtil.isKeepAlive(request);
        this.requestBody = new RequestBody(ctx, request, this::closeAfterResponse);
        this.body = new BodyWriter(ctx, tls, n -> bytes += n, this::abort);
    }

    HttpRequest request() {
        return request;
    }

    String rawPath() {
        return uri.rawPath();
    }

    /** Every value of a query parameter, decoded. */
    List<String> params(String name) {
        List<String> values = uri.parameters().get(name);
        return values == null ? List.of() : values;
    }

    private Authenticator.Caller caller;

    Authenticator.Caller caller() {
        return caller;
    }

    void caller(Authenticator.Caller c) {
        this.caller = c;
    }

    /** The names of the query parameters given. */
    java.util.Set<String> paramNames() {
        return uri.parameters().keySet();
    }

    /** First value of a query parameter, decoded, or null. */
    String param(String name) {
        List<String> values = uri.parameters().get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    boolean isHead() {
        return head;
    }

    ChannelHandlerContext ctx() {
        return ctx;
    }

    // ---- request body: see RequestBody -----------------------------------------------------

    /** Takes one piece of the request body (this exchange now owns it). */
    void offerBody(HttpContent content) {
        requestBody.offer(content);
    }

    /** Streams the request body to {@code consumer}; may be called once, on any thread. */
    void readBody(BodyConsumer consumer) {
        requestBody.read(consumer);
    }

    /**
     * Reads the whole request body into memory, at most {@code max} bytes;
     * more fails with {@code SIZE_INVALID} (413) and closes the connection afterwards.
     */
    CompletableFuture<byte[]> readBodyFully(int max) {
        return requestBody.readFully(max);
    }

    /** Whether the whole request body has arrived. */
    boolean bodyComplete() {
        return requestBody.complete();
    }

    /**
     * The upstream the request's {@code ns} parameter selected: responses
     * carry it as {@code OCI-Namespace} (distribution-spec, "Registry Proxying").
     */
    void namespace(String ns) {
        this.namespace = ns;
    }

    /** Names the route for metrics. */
    void route(String label) {
        this.route = label;
    }

    /** Labels the request for the access log and the {@code X-Gantry-Cache} header. */
    void outcome(String outcome, String note) {
        this.outcome = outcome;
        this.note = note;
    }

    /** The connection must close after this response (draining, unread request body…). */
    void closeAfterResponse() {
        this.keepAlive = false;
    }

    /** Sends a complete response; its body is left out for HEAD. */
    void respond(FullHttpResponse response) {
        if (!ctx.executor().inEventLoop()) {
            ctx.executor().execute(() -> respond(response));
            return;
        }
        if (responded) {
            response.release();
            return;
        }
        responded = true;
        decorate(response);
        if (head) {
            response.content().clear();
        }
        status = response.status().code();
        bytes = response.content().readableBytes();
        ctx.writeAndFlush(response).addListener(f -> finish(f.isSuccess()));
    }

    /** Sends an error response for {@code failure}. */
    void fail(Throwable failure) {
        if (!ctx.executor().inEventLoop()) {
            ctx.executor().execute(() -> fail(failure));
            return;
        }
        if (responded) {
            // The head went out already: the only honest signal left is to cut the body short.
            abort();
            return;
        }
        respond(ErrorResponses.of(failure, head, ctx.alloc(), request.method() + " " + uri.rawPath()));
    }

    /**
     * Sends {@code head} (which must carry Content-Length) and then the
     * content, which this exchange now owns.
     */
    void respond(HttpResponse response, Content content) {
        if (!ctx.executor().inEventLoop()) {
            ctx.executor().execute(() -> respond(response, content));
            return;
        }
        if (writeHead(response, content::close)) {
            sendBody(content);
        }
    }

    /**
     * Sends {@code response} (which must carry Content-Length) and then the
     * contents of {@code parts} in turn, asking for the next only once the one
     * before it was handed to the connection. This exchange owns {@code parts}
     * and every content it yields. A part that fails to open cuts the body short.
     */
    void respond(HttpResponse response, PartSequence parts) {
        if (!ctx.executor().inEventLoop()) {
            ctx.executor().execute(() -> respond(response, parts));
            return;
        }
        if (writeHead(response, parts::close)) {
            sendParts(parts);
        }
    }

    /**
     * Writes {@code response}'s head unless this exchange already answered or
     * the client left. Returns whether the body should follow; when it should
     * not (no longer wanted, or a HEAD request), {@code closeBody} has released it.
     */
    private boolean writeHead(HttpResponse response, Runnable closeBody) {
        if (responded || !ctx.channel().isActive()) {
            closeBody.run();
            if (!responded) {
                responded = true;
                finish(false);
            }
            return false;
        }
        responded = true;
        decorate(response);
        status = response.status().code();
        ctx.write(response);
        if (head) {
            closeBody.run();
            endBody();
            return false;
        }
        return true;
    }

    private void sendParts(PartSequence parts) {
        body.write(parts, this::endBody);
    }

    private void sendBody(Content content) {
        body.write(content, this::endBody);
    }

    private void endBody() {
        ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(f -> finish(f.isSuccess()));
    }

    /** Cuts the response short: the client sees a body shorter than announced. */
    private void abort() {
        note = note == null ? "aborted" : note + " aborted";
        keepAlive = false;
        ctx.close();
        finish(false);
    }

    private boolean finished;

    private void finish(boolean success) {
        if (finished) {
            return;
        }
        finished = true;
        boolean bodyStillArriving = !requestBody.complete() && declaresBody(request);
        requestBody.discard();
        String ns = param("ns");
        long nanos = System.nanoTime() - startNanos;
        accessLog.record(request.method().name(), uri.rawPath(), ns, status, bytes, nanos, outcome,
                success ? note : (note == null ? "incomplete" : note + " incomplete"));
        metrics.httpRequest(route, methodLabel(), success ? status : -1, bytes, nanos);
        if (success) {
            metrics.responseBytes(outcome, bytes);
        }
        boolean keep = success && keepAlive && ctx.channel().isActive();
        if (!keep) {
            if (success && bodyStillArriving) {
                LingeringClose.close(ctx);
            } else {
                ctx.close();
            }
        }
        listener.exchangeDone(this, keep);
    }

    /** Standard methods by name; anything else as "other", so clients cannot create label values. */
    private String methodLabel() {
        String m = request.method().name();
        return switch (m) {
            case "GET", "HEAD", "PUT", "POST", "PATCH", "DELETE", "OPTIONS" -> m;
            default -> "OTHER";
        };
    }

    private void decorate(HttpResponse response) {
        if (!requestBody.complete() && declaresBody(request)) {
            // Answered before its body was read (refused, 416…): the connection closes after this
            // response, and must say so, or a client pools it and its next request (often the retry
            // with credentials) fails on a socket we closed (RFC 9112 §9.6).
            keepAlive = false;
        }
        response.headers().set("Docker-Distribution-API-Version", API_VERSION);
        if (namespace != null) {
            response.headers().set("OCI-Namespace", namespace);
        }
        if (!"-".equals(outcome)) {
            response.headers().set("X-Gantry-Cache", outcome);
        }
        HttpUtil.setKeepAlive(response, keepAlive);
    }

    private static boolean declaresBody(HttpRequest request) {
        return HttpUtil.isTransferEncodingChunked(request) || HttpUtil.getContentLength(request, 0L) > 0;
    }

    /** A response head with the registry's usual headers. */
    static HttpResponse head(HttpResponseStatus status, long contentLength, String contentType) {
        HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, status);
        r.headers().set(HttpHeaderNames.CONTENT_LENGTH, contentLength);
        if (contentType != null) {
            r.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        }
        return r;
    }

    static ByteBuf utf8(ChannelHandlerContext ctx, String s) {
        return io.netty.buffer.ByteBufUtil.writeUtf8(ctx.alloc(), s);
    }

}
