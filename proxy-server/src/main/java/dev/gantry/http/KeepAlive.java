package dev.gantry.http;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;

/**
 * When a connection outlives its response. It stays open if the client
 * asked for that, the server is not draining, and the whole request was
 * read; a response sent before its request's body arrived (refused, 416…)
 * closes the connection and says so (RFC 9112 §9.6), gently, so the client
 * reads the response before the reset.
 */
final class KeepAlive {

    private KeepAlive() {
    }

    /** Whether the client asked to keep the connection. */
    static boolean requested(HttpRequest request) {
        return HttpUtil.isKeepAlive(request);
    }

    /** Whether the request announced a body (chunked, or a Content-Length above zero). */
    static boolean declaresBody(HttpRequest request) {
        return HttpUtil.isTransferEncodingChunked(request) || HttpUtil.getContentLength(request, 0L) > 0;
    }

    /**
     * Whether a response must close its connection because the request's
     * body is still unread: a client that pools the connection would send
     * its next request (often the retry with credentials) to a socket closed under it.
     */
    static boolean bodyUnread(HttpRequest request, boolean bodyComplete) {
        return !bodyComplete && declaresBody(request);
    }

    /**
     * Closes a connection whose response is over: lingering while a body we
     * did not read is still arriving, else at once.
     */
    static void close(ChannelHandlerContext ctx, boolean lingering) {
        if (lingering) {
            LingeringClose.close(ctx);
        } else {
            ctx.close();
        }
    }
}
