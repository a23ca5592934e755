package dev.gantry.upstream;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Bearer tokens of one upstream by scope, each kept until shortly before it
 * expires; concurrent requests for the same scope share one token fetch. Also
 * remembers the upstream's last bearer challenge, so a request for a new scope
 * can fetch its token before the first request instead of after a 401.
 * Scopes name repositories clients chose (Docker Hub issues tokens for names
 * that do not exist), so at most {@link #MAX_SCOPES} are kept, the least
 * recently used going first.
 */
final class TokenCache {

    /** Tokens are dropped this long before they expire, to survive clock skew and latency. */
    private static final Duration MARGIN = Duration.ofSeconds(10);

    record Token(String value, Instant expiresAt) {
    }

    private final Clock clock;
    static final int MAX_SCOPES = 10_000;

    private final Cache<String, CompletableFuture<Token>> cache;
    private final Map<String, CompletableFuture<Token>> byScope;
    private volatile Challenge challenge;

    TokenCache(Clock clock) {
        this(clock, MAX_SCOPES);
    }

    TokenCache(Clock clock, int maxScopes) {
        this.clock = clock;
        this.cache = Caffeine.newBuilder().maximumSize(maxScopes).executor(Runnable::run).build();
        this.byScope = cache.asMap();
    }

    /** How many scopes are kept now. */
    int size() {
        cache.cleanUp();
        return (int) cache.estimatedSize();
    }

    Challenge challenge() {
        return challenge;
    }

    void rememberChallenge(Challenge c) {
        this.challenge = c;
    }

    /** A cached, unexpired token for {@code scope}, or null. */
    String cached(String scope) {
        CompletableFuture<Token> f = byScope.get(scope);
        if (f == null || !f.isDone() || f.isCompletedExceptionally()) {
            return null;
        }
        Token t = f.join();
        return usable(t) ? t.value() : null;
    }

    /** The token for {@code scope}, fetching it with {@code fetch} unless a usable one is cached or in flight. */
    CompletableFuture<String> get(String scope, Supplier<CompletableFuture<Token>> fetch) {
        CompletableFuture<Token> f = byScope.compute(scope, (k, existing) -> {
            if (existing != null && (!existing.isDone() || (!existing.isCompletedExceptionally() && usable(existing.join())))) {
                return existing;
            }
            return fetch.get();
        });
        f.whenComplete((t, e) -> {
            if (e != null) {
                byScope.remove(scope, f);
            }
        });
        return f.thenApply(Token::value);
    }

    /** Forgets the token for {@code scope} (the upstream rejected it). */
    void invalidate(String scope) {
        byScope.remove(scope);
    }

    private boolean usable(Token t) {
        return clock.instant().plus(MARGIN).isBefore(t.expiresAt());
    }
}
