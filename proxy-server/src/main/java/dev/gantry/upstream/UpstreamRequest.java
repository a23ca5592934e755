package dev.gantry.upstream;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/**
 * A request to an upstream: method, absolute URI, headers. Bodies are not
 * needed (Gantry only reads from upstreams).
 */
public record UpstreamRequest(HttpMethod method, URI uri, HttpHeaders headers, Duration readTimeout) {

    public UpstreamRequest {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(uri, "uri");
        headers = headers == null ? new DefaultHttpHeaders() : headers;
        Objects.requireNonNull(readTimeout, "readTimeout");
    }

    /** A copy aimed at another URI (a redirect), with a copy of the headers. */
    public UpstreamRequest withUri(URI target) {
        return new UpstreamRequest(method, target, headers.copy(), readTimeout);
    }

    /** A copy with a copy of the headers that the caller may change. */
    public UpstreamRequest copy() {
        return new UpstreamRequest(method, uri, headers.copy(), readTimeout);
    }

    /** Path and query as sent on the request line. */
    String pathAndQuery() {
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        return uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery();
    }
}
