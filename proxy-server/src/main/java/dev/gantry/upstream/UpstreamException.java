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
    private final boolean connecting;

    public UpstreamException(Kind kind, String message, Throwable cause) {
        this(kind, message, cause, false);
    }

    /** @param connecting whether no connection was made (refused, unreachable, timed out connecting) */
    UpstreamException(Kind kind, String message, Throwable cause, boolean connecting) {
        super(message, cause);
        this.kind = kind;
        this.connecting = connecting;
    }

    public Kind kind() {
        return kind;
    }

    /**
     * Whether it failed before a connection was made: nobody listens there. A timeout on a connection made
     * is another thing: the peer is there and slow.
     */
    public boolean whileConnecting() {
        return connecting;
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
