package dev.gantry.upstream;

import dev.gantry.config.UpstreamConfig;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Objects;

/**
 * A configured upstream registry at run time: where it is, how to
 * authenticate, and what it said about its rate limit. The credentials never
 * leave this object except as an {@code Authorization} header value.
 */
public final class Upstream {

    private final String name;
    private final URI base;
    private final boolean isDefault;
    private final boolean library;
    private final String username;
    private final String password;
    private final Duration connectTimeout;
    private final Duration readTimeout;
    private final int retries;
    private final boolean isPrivate;
    private final RateLimitState rateLimit;
    private final TokenCache tokens;

    public Upstream(UpstreamConfig config, Clock clock) {
        Objects.requireNonNull(config, "config");
        this.name = config.name();
        String url = config.url().endsWith("/") ? config.url().substring(0, config.url().length() - 1) : config.url();
        this.base = URI.create(url);
        this.isDefault = config.isDefault();
        this.library = config.library();
        this.username = config.username();
        this.password = config.password() == null ? "" : config.password();
        this.connectTimeout = config.connectTimeout();
        this.readTimeout = config.readTimeout();
        this.retries = config.retries();
        this.isPrivate = config.isPrivate();
        this.rateLimit = new RateLimitState(clock);
        this.tokens = new TokenCache(clock);
    }

    /** What clients call it: {@code ns=} value and path prefix. */
    public String name() {
        return name;
    }

    public URI base() {
        return base;
    }

    public boolean isDefault() {
        return isDefault;
    }

    /** Whether single-component names get {@code library/} (Docker Hub's official images). */
    public boolean library() {
        return library;
    }

    /**
     * Whether Gantry authenticates to this upstream as someone: content it
     * fetches may then be private, and is never served to a caller the
     * upstream itself has not let see it.
     */
    public boolean hasCredentials() {
        return username != null && !username.isEmpty();
    }

    /**
     * Whether content fetched from it may be private (credentials configured,
     * and not declared public): never served to anonymous callers.
     */
    public boolean isPrivate() {
        return isPrivate;
    }

    public RateLimitState rateLimit() {
        return rateLimit;
    }

    TokenCache tokens() {
        return tokens;
    }

    /** The longest silence allowed on an open connection to it. */
    public Duration readTimeout() {
        return readTimeout;
    }

    /**
     * The longest one call to it may wait for a response head, retries
     * included: each attempt may wait three connect timeouts for a pooled
     * connection and a read timeout for the head, attempts are at most
     * {@link RegistryClient}'s 2 s apart, and a token fetch or a redirect on
     * the way may double that. A backstop for whoever waits on the call.
     */
    public Duration answerBound() {
        Duration attempt = connectTimeout.multipliedBy(3).plus(readTimeout);
        Duration call = attempt.multipliedBy(retries + 1L).plusSeconds(2L * retries);
        return call.multipliedBy(2);
    }

    int retries() {
        return retries;
    }

    /** {@code Basic} credentials for this upstream, or null when anonymous. */
    String basicAuthorization() {
        if (!hasCredentials()) {
            return null;
        }
        return "Basic " + Base64.getEncoder().encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return "Upstream[" + name + " -> " + base + (hasCredentials() ? ", authenticated" : "") + "]";
    }
}
