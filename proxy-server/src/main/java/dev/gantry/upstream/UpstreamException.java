package dev.gantry.upstream;

import java.net.URI;

/**
 * An upstream exchange that failed before a usable response: connection
 * refused or reset, timeout, TLS failure, malformed or oversized response.
 * Messages name the host but never credentials or query strings (which may
 * carry signed tokens).
 */
public final class UpstreamException extends RuntimeException {

    /** What went wrong, for retry decisions and metrics. */
    public enum Kind { CONNECT, TIMEOUT, PROTOCOL, TOO_LARGE, CLOSED }

    private final Kind kind;

    public UpstreamException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    static UpstreamException tooLarge(URI uri, long size, long max) {
        return new UpstreamException(Kind.TOO_LARGE,
                "response from " + describe(uri) + " is " + size + " bytes; the limit is " + max, null);
    }

    /** Scheme, host, port and path: no query, no user info. */
    static String describe(URI uri) {
        return uri.getScheme() + "://" + uri.getHost() + (uri.getPort() > 0 ? ":" + uri.getPort() : "")
                + (uri.getRawPath() == null ? "" : uri.getRawPath());
    }
}
