package dev.gantry.upstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Speaks the distribution protocol to upstreams: Docker Hub's bearer-token
 * flow (challenge, token for realm/service/scope, cached until it expires),
 * basic auth, redirects to blob storage on other hosts (followed without the
 * {@code Authorization} header), bounded retries of requests that failed
 * before any response, and rate-limit bookkeeping. Every response head comes
 * back to the caller, who owns its body.
 */
public final class RegistryClient {

    private static final Logger log = LoggerFactory.getLogger(RegistryClient.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_REDIRECTS = 5;
    private static final Duration MAX_RETRY_BACKOFF = Duration.ofSeconds(2);
    private static final Duration DEFAULT_TOKEN_LIFETIME = Duration.ofSeconds(60);

    private final HttpTransport transport;
    private final Clock clock;
    private final UpstreamObserver observer;

    public RegistryClient(HttpTransport transport, Clock clock, UpstreamObserver observer) {
        this.transport = Objects.requireNonNull(transport, "transport");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.observer = Objects.requireNonNull(observer, "observer");
    }

    /** Opens up to {@code n} connections to the upstream ahead of requests known to follow (see {@link HttpTransport#preconnect}). */
    public CompletableFuture<Integer> preconnect(Upstream upstream, int n) {
        return transport.preconnect(upstream.base(), n);
    }

    /**
     * One registry call: authenticates, follows redirects, retries transport
     * failures and 502/503/504 a bounded number of times. Completes with the
     * final response head whatever its status; fails with
     * {@link UpstreamException} when no response could be had, and with an
     * {@link UpstreamStatusException} 429 without sending anything while the
     * upstream's {@code Retry-After} (heard by this replica or another) runs.
     *
     * @param path absolute path on the upstream, e.g. {@code /v2/library/alpine/manifests/latest}
     * @param repository the repository the call is about, for the token scope; null for none
     */
    public CompletableFuture<UpstreamResponse> call(Upstream upstream, RequestKind kind, HttpMethod method,
                                                    String path, String repository, HttpHeaders headers) {
        UpstreamRequest request = new UpstreamRequest(method, upstream.base().resolve(path),
                headers == null ? new DefaultHttpHeaders() : headers, upstream.readTimeout());
        String scope = repository == null ? null : "repository:" + repository + ":pull";
        return attempt(upstream, kind, request, scope, 0, false);
    }

    private CompletableFuture<UpstreamResponse> attempt(Upstream upstream, RequestKind kind, UpstreamRequest request,
                                                        String scope, int retry, boolean authRetried) {
        if (upstream.rateLimit().backingOff()) {
            // The one gate every request passes, a retry or a re-authorized attempt too (a wait another replica
            // heard meanwhile holds as well): cached or not, prefetch or client, nothing goes out.
            Duration wait = upstream.rateLimit().retryAfter();
            return CompletableFuture.failedFuture(new UpstreamStatusException(429, upstream.name()
                    + " asked Gantry to wait; not asked again for " + Math.max(1, wait.toSeconds()) + "s", wait));
        }
        return authorize(upstream, request.copy(), scope)
                .thenCompose(transport::execute)
                .handle((response, error) -> {
                    if (error != null) {
                        Throwable cause = unwrap(error);
                        observer.request(upstream, kind, -1);
                        if (retry < upstream.retries() && isRetryable(cause)) {
                            log.debug("retrying {} {} after {}", request.method(), UpstreamException.describe(request.uri()), cause.toString());
                            return later(backoff(retry)).thenCompose(v -> attempt(upstream, kind, request, scope, retry + 1, authRetried));
                        }
                        return CompletableFuture.<UpstreamResponse>failedFuture(cause);
                    }
                    CompletableFuture<Void> told = upstream.rateLimit().record(response.status(), response.headers());
                    int status = response.status();
                    if (status == 401 && !authRetried) {
                        Challenge challenge = Challenge.parse(response.headers().get(HttpHeaderNames.WWW_AUTHENTICATE));
                        if (challenge != null && (challenge.isBearer() || (challenge.isBasic() && upstream.hasCredentials()))) {
                            response.discard();
                            upstream.tokens().rememberChallenge(challenge);
                            String s = challenge.scope() != null ? challenge.scope() : scope;
                            if (s != null) {
                                upstream.tokens().invalidate(s);
                            }
                            return attempt(upstream, kind, request, s, retry, true);
                        }
                    }
                    if (isRedirect(status) && response.headers().contains(HttpHeaderNames.LOCATION)) {
                        response.discard();
                        URI target = request.uri().resolve(response.headers().get(HttpHeaderNames.LOCATION));
                        return follow(upstream, kind, request.withUri(target), 1);
                    }
                    if ((status == 502 || status == 503 || status == 504) && retry < upstream.retries()
                            && upstream.rateLimit().retryAfter().compareTo(MAX_RETRY_BACKOFF) <= 0) {
                        observer.request(upstream, kind, status);
                        response.discard();
                        // Not before its Retry-After (at most MAX_RETRY_BACKOFF here) has passed.
                        // A millisecond more: the timer and the wall clock the wait is kept in may differ by that.
                        Duration wait = upstream.rateLimit().retryAfter().plusMillis(1);
                        Duration pause = backoff(retry);
                        return later(wait.compareTo(pause) > 0 ? wait : pause)
                                .thenCompose(v -> attempt(upstream, kind, request, scope, retry + 1, authRetried));
                    }
                    observer.request(upstream, kind, status);
                    // A wait (429) reaches the fleet before the caller answers its client: a request
                    // the client sends after that answer finds every replica waiting too.
                    return told.isDone() ? CompletableFuture.completedFuture(response) : told.thenApply(v -> response);
                })
                .thenCompose(f -> f);
    }

    /** Follows a redirect off the registry: no Authorization header unless it is the same origin. */
    private CompletableFuture<UpstreamResponse> follow(Upstream upstream, RequestKind kind, UpstreamRequest request, int hops) {
        if (!"http".equals(request.uri().getScheme()) && !"https".equals(request.uri().getScheme())) {
            return CompletableFuture.failedFuture(new UpstreamException(UpstreamException.Kind.PROTOCOL,
                    "upstream redirected to a non-HTTP location", null));
        }
        if (!sameOrigin(upstream.base(), request.uri())) {
            request.headers().remove(HttpHeaderNames.AUTHORIZATION);
        }
        return transport.execute(request).thenCompose(response -> {
            int status = response.status();
            if (isRedirect(status) && response.headers().contains(HttpHeaderNames.LOCATION)) {
                response.discard();
                if (hops >= MAX_REDIRECTS) {
                    return CompletableFuture.failedFuture(new UpstreamException(UpstreamException.Kind.PROTOCOL,
                            "more than " + MAX_REDIRECTS + " redirects from " + upstream.name(), null));
                }
                URI next = request.uri().resolve(response.headers().get(HttpHeaderNames.LOCATION));
                return follow(upstream, kind, request.withUri(next), hops + 1);
            }
            observer.request(upstream, kind, status);
            return CompletableFuture.completedFuture(response);
        });
    }

    /** Adds an Authorization header if the upstream is known to want one for this scope. */
    private CompletableFuture<UpstreamRequest> authorize(Upstream upstream, UpstreamRequest request, String scope) {
        Challenge challenge = upstream.tokens().challenge();
        if (challenge == null) {
            return CompletableFuture.completedFuture(request);
        }
        if (challenge.isBasic()) {
            String basic = upstream.basicAuthorization();
            if (basic != null) {
                request.headers().set(HttpHeaderNames.AUTHORIZATION, basic);
            }
            return CompletableFuture.completedFuture(request);
        }
        String tokenScope = scope == null ? "" : scope;
        return upstream.tokens().get(tokenScope, () -> fetchToken(upstream, challenge, scope))
                .thenApply(token -> {
                    if (token != null && !token.isEmpty()) {
                        request.headers().set(HttpHeaderNames.AUTHORIZATION, "Bearer " + token);
                    }
                    return request;
                });
    }

    private CompletableFuture<TokenCache.Token> fetchToken(Upstream upstream, Challenge challenge, String scope) {
        URI realm;
        try {
            realm = URI.create(challenge.realm());
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(new UpstreamException(UpstreamException.Kind.PROTOCOL,
                    upstream.name() + " sent an unusable token realm", e));
        }
        if (realm.getHost() == null || !("https".equals(realm.getScheme()) || "http".equals(realm.getScheme()))) {
            return CompletableFuture.failedFuture(new UpstreamException(UpstreamException.Kind.PROTOCOL,
                    upstream.name() + " sent an unusable token realm", null));
        }
        StringBuilder query = new StringBuilder();
        if (challenge.service() != null) {
            query.append("service=").append(URLEncoder.encode(challenge.service(), StandardCharsets.UTF_8));
        }
        if (scope != null) {
            query.append(query.length() > 0 ? "&" : "").append("scope=").append(URLEncoder.encode(scope, StandardCharsets.UTF_8));
        }
        String base = realm.toString();
        URI uri = URI.create(base + (query.length() == 0 ? "" : (base.contains("?") ? "&" : "?") + query));
        HttpHeaders headers = new DefaultHttpHeaders();
        String basic = upstream.basicAuthorization();
        // Credentials go to the realm only over TLS, or to the registry's own host.
        if (basic != null && ("https".equals(uri.getScheme()) || sameHost(upstream.base(), uri))) {
            headers.set(HttpHeaderNames.AUTHORIZATION, basic);
        }
        UpstreamRequest request = new UpstreamRequest(HttpMethod.GET, uri, headers, upstream.readTimeout());
        return transport.execute(request).thenCompose(response -> {
            observer.request(upstream, RequestKind.TOKEN, response.status());
            if (response.status() != 200) {
                response.discard();
                return CompletableFuture.failedFuture(new UpstreamStatusException(response.status(),
                        upstream.name() + " token service refused: HTTP " + response.status(), null));
            }
            return response.aggregate(64 * 1024).thenApply(body -> parseToken(upstream, body));
        });
    }

    private TokenCache.Token parseToken(Upstream upstream, byte[] body) {
        try {
            JsonNode json = JSON.readTree(body);
            String token = json.path("token").asText(null);
            if (token == null || token.isEmpty()) {
                token = json.path("access_token").asText(null);
            }
            if (token == null) {
                throw new UpstreamException(UpstreamException.Kind.PROTOCOL, upstream.name() + " token response has no token", null);
            }
            long expiresIn = json.path("expires_in").asLong(DEFAULT_TOKEN_LIFETIME.toSeconds());
            Instant issued = clock.instant();
            if (json.hasNonNull("issued_at")) {
                try {
                    Instant at = Instant.parse(json.get("issued_at").asText());
                    // Trust the issuer's clock only when it is close to ours.
                    if (Duration.between(at, issued).abs().compareTo(Duration.ofMinutes(5)) < 0) {
                        issued = at;
                    }
                } catch (RuntimeException ignored) {
                    // Keep our own clock.
                }
            }
            return new TokenCache.Token(token, issued.plusSeconds(Math.max(expiresIn, 1)));
        } catch (IOException e) {
            throw new UpstreamException(UpstreamException.Kind.PROTOCOL, upstream.name() + " token response is not JSON", e);
        }
    }

    private static boolean isRetryable(Throwable cause) {
        return cause instanceof UpstreamException u
                && (u.kind() == UpstreamException.Kind.CONNECT || u.kind() == UpstreamException.Kind.CLOSED
                || u.kind() == UpstreamException.Kind.TIMEOUT);
    }

    private static boolean isRedirect(int status) {
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    }

    private static boolean sameOrigin(URI a, URI b) {
        return sameHost(a, b) && Objects.equals(a.getScheme(), b.getScheme()) && port(a) == port(b);
    }

    private static boolean sameHost(URI a, URI b) {
        return a.getHost() != null && a.getHost().equalsIgnoreCase(b.getHost());
    }

    private static int port(URI u) {
        return u.getPort() > 0 ? u.getPort() : ("https".equals(u.getScheme()) ? 443 : 80);
    }

    private static Duration backoff(int retry) {
        long ms = Math.min(MAX_RETRY_BACKOFF.toMillis(), 100L << retry);
        return Duration.ofMillis(ms / 2 + (long) (Math.random() * ms / 2));
    }

    private static CompletableFuture<Void> later(Duration delay) {
        Executor e = CompletableFuture.delayedExecutor(delay.toNanos(), TimeUnit.NANOSECONDS);
        return CompletableFuture.runAsync(() -> { }, e);
    }

    static Throwable unwrap(Throwable t) {
        while (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
