package dev.gantry.http;

import dev.gantry.content.Content;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;

/**
 * The response to one {@link Exchange}: exactly one is sent, from any
 * thread (the writer moves onto the connection's event loop). It is a buffer
 * sent whole, or a head followed by a body the {@link BodyWriter} sends
 * (zero-copy file regions, buffers, a growing spool, a stream) or a
 * sequence of such parts. A body that fails midway closes the connection,
 * so the client sees fewer bytes than {@code Content-Length} rather than a
 * wrong body. When the response is over it is recorded and the connection
 * kept or closed ({@link KeepAlive}).
 */
final class ResponseWriter {

    /** Header every response carries, as Distribution does. */
    static final String API_VERSION = "registry/2.0";

    private final Exchange ex;
    private final ChannelHandlerContext ctx;
    private final ExchangeRecorder recorder;
    private final Exchange.Listener listener;
    private final BodyWriter body;
    private boolean keepAlive;
    private boolean responded;
    private boolean finished;
    private int status;
    private long bytes;
    private String outcome = "-";
    private String note;
    /** The {@code ns} that selected the upstream, echoed as {@code OCI-Namespace}; null if none did. */
    private String namespace;

    ResponseWriter(Exchange ex, boolean tls, ExchangeRecorder recorder, Exchange.Listener listener) {
        this.ex = ex;
        this.ctx = ex.ctx();
        this.recorder = recorder;
        this.listener = listener;
        this.keepAlive = KeepAlive.requested(ex.request());
        this.body = new BodyWriter(ctx, tls, n -> bytes += n, this::abort);
    }

    void namespace(String ns) {
        this.namespace = ns;
    }

    void outcome(String outcome, String note) {
        this.outcome = outcome;
        this.note = note;
    }

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
        if (ex.isHead()) {
            response.content().clear();
        }
        status = response.status().code();
        bytes = response.content().readableBytes();
        ctx.writeAndFlush(response).addListener(f -> finish(f.isSuccess()));
    }

    /** Sends an error response for {@code failure}, or cuts the body short if the head went out already. */
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
        respond(ErrorResponses.of(failure, ex.isHead(), ctx.alloc(), ex.request().method() + " " + ex.rawPath()));
    }

    /** Sends {@code head} (which must carry Content-Length) and then the content, which this writer now owns. */
    void respond(HttpResponse response, Content content) {
        if (!ctx.executor().inEventLoop()) {
            ctx.executor().execute(() -> respond(response, content));
            return;
        }
        if (writeHead(response, content::close)) {
            body.write(content, this::endBody);
        }
    }

    /**
     * Sends {@code response} (which must carry Content-Length) and then the
     * contents of {@code parts} in turn (see {@link BodyWriter#write(PartSequence, Runnable)}).
     */
    void respond(HttpResponse response, PartSequence parts) {
        if (!ctx.executor().inEventLoop()) {
            ctx.executor().execute(() -> respond(response, parts));
            return;
        }
        if (writeHead(response, parts::close)) {
            body.write(parts, this::endBody);
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
        if (ex.isHead()) {
            closeBody.run();
            endBody();
            return false;
        }
        return true;
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

    private void finish(boolean success) {
        if (finished) {
            return;
        }
        finished = true;
        boolean bodyStillArriving = KeepAlive.bodyUnread(ex.request(), ex.bodyComplete());
        ex.discardBody();
        recorder.record(ex, success, status, bytes, outcome, note);
        boolean keep = success && keepAlive && ctx.channel().isActive();
        if (!keep) {
            KeepAlive.close(ctx, success && bodyStillArriving);
        }
        listener.exchangeDone(ex, keep);
    }

    private void decorate(HttpResponse response) {
        if (KeepAlive.bodyUnread(ex.request(), ex.bodyComplete())) {
            keepAlive = false;
        }
        response.headers().set("Docker-Distribution-API-Version", API_VERSION);
        if (!response.headers().contains("Content-Security-Policy")) {
            // What a registry serves is data, never a page: a browser that opens it (a manifest, a blob, a
            // document an upstream sent) neither guesses another type nor runs anything in this origin.
            response.headers().set("X-Content-Type-Options", "nosniff")
                    .set("Content-Security-Policy", "default-src 'none'; sandbox");
        }
        if (namespace != null) {
            response.headers().set("OCI-Namespace", namespace);
        }
        if (!"-".equals(outcome)) {
            response.headers().set("X-Gantry-Cache", outcome);
        }
        HttpUtil.setKeepAlive(response, keepAlive);
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
}
