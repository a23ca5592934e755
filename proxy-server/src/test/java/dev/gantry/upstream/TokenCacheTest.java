package dev.gantry.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Tokens by scope: scopes are repositories clients name, so the cache keeps a bounded number of them. */
class TokenCacheTest {

    @Test
    void scopesClientsMakeUpDoNotGrowTheCacheWithoutBound() {
        Clock clock = Clock.systemUTC();
        TokenCache tokens = new TokenCache(clock, 100);
        for (int i = 0; i < 5_000; i++) {
            tokens.get("repository:made-up-" + i + ":pull",
                    () -> CompletableFuture.completedFuture(new TokenCache.Token("t", clock.instant().plus(Duration.ofMinutes(5)))))
                    .join();
        }
        assertThat(tokens.size()).isLessThanOrEqualTo(100);
        assertThat(tokens.cached("repository:made-up-4999:pull")).as("the newest kept").isEqualTo("t");
    }
}
