package dev.gantry.upstream;

import dev.gantry.content.BodyCollector;
import dev.gantry.content.BodyConsumer;
import dev.gantry.content.ByteStream;
import io.netty.handler.codec.http.HttpHeaders;
import java.net.URI;
import java.util.concurrent.CompletableFuture;

/**
 * The head of an upstream response, with its body still on the wire. The
 * caller must consume the body exactly once: {@link #subscribe},
 * {@link #aggregate} or {@link #discard}. Until then the connection is held.
 */
public final class UpstreamResponse implements ByteStream {

    private final int status;
    private final HttpHeaders headers;
    private final URI uri;
    private final Body body;
    private final boolean bodyless;
    private final boolean fromFleetPeer;

    UpstreamResponse(int status, HttpHeaders headers, URI uri, Body body, boolean bodyless) {
        this(status, headers, uri, body, bodyless, false);
    }

    private UpstreamResponse(int status, HttpHeaders headers, URI uri, Body body, boolean bodyless, boolean fromFleetPeer) {
        this.status = status;
        this.headers = headers;
        this.uri = uri;
        this.body = body;
        this.bodyless = bodyless;
        this.fromFleetPeer = fromFleetPeer;
    }

    /** This response, marked as the fleet owner's answer rather than the upstream's (same body, still unread). */
    UpstreamResponse fromFleetPeer() {
        return new UpstreamResponse(status, headers, uri, body, bodyless, true);
    }

    /**
     * Whether another replica of the fleet sent it ({@link PeerFetch}): that
     * replica stores the content in the shared tier, so this one need not.
     */
    public boolean viaFleetPeer() {
        return fromFleetPeer;
    }

    /** Whether the response carries no body whatever its headers say (HEAD, 204, 304). */
    public boolean bodyless() {
        return bodyless;
    }

    public int status() {
        return status;
    }

    public HttpHeaders headers() {
        return headers;
    }

    /** The URI that produced this response (after redirects). */
    public URI uri() {
        return uri;
    }

    /** {@code Content-Length}, or -1 when the upstream did not send one. */
    @Override
    public long contentLength() {
        String v = headers.get("Content-Length");
        try {
            return v == null ? -1 : Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The source of the body (an {@code ExchangeHandler} for a response from the wire). */
    Body body() {
        return body;
    }

    /** Streams the body to {@code consumer} with back-pressure. */
    @Override
    public void subscribe(BodyConsumer consumer) {
        body.subscribe(consumer);
    }

    /**
     * Reads the whole body into memory; fails with {@link UpstreamException}
     * if it exceeds {@code maxBytes} (the connection is then closed).
     */
    public CompletableFuture<byte[]> aggregate(int maxBytes) {
        long declared = bodyless ? 0 : contentLength();
        if (declared > maxBytes) {
            body.abort();
            return CompletableFuture.failedFuture(UpstreamException.tooLarge(uri, declared, maxBytes));
        }
        BodyCollector collector = new BodyCollector(declared, maxBytes, size -> UpstreamException.tooLarge(uri, size, maxBytes));
        subscribe(collector);
        return collector.result();
    }

    /**
     * Drops the body. A small body is read to the end so the connection can
     * be reused; a large or unknown one closes the connection instead.
     */
    @Override
    public void discard() {
        long length = bodyless ? 0 : contentLength();
        if (length >= 0 && length <= 64 * 1024) {
            aggregate(64 * 1024);
        } else {
            body.abort();
        }
    }

    /** The transport side of a response body. */
    interface Body {
        void subscribe(BodyConsumer consumer);

        /** Closes the connection without reading the rest. */
        void abort();
    }
}
