package dev.gantry.upstream;

import java.time.Duration;

/**
 * The upstream answered, but not with what was asked for: 404, 401, 429,
 * 5xx… The registry layer decides what that means for the client (a
 * not-found, a denial, a stale serve). The message carries the upstream's own
 * error text, never credentials.
 */
public final class UpstreamStatusException extends RuntimeException {

    private final int status;
    private final Duration retryAfter;

    public UpstreamStatusException(int status, String message, Duration retryAfter) {
        super(message, null, false, false);
        this.status = status;
        this.retryAfter = retryAfter == null ? Duration.ZERO : retryAfter;
    }

    public int status() {
        return status;
    }

    /** How long the upstream asked to wait (429/503), zero when it did not say. */
    public Duration retryAfter() {
        return retryAfter;
    }

    /** Whether this is the upstream being unwell or busy (5xx, 429) rather than a definite answer. */
    public boolean isTransient() {
        return status == 429 || status >= 500;
    }
}
