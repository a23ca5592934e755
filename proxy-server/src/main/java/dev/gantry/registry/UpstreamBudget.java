package dev.gantry.registry;

import dev.gantry.upstream.RateLimitState;
import dev.gantry.upstream.Upstream;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Whether speculative work (prefetch) may ask an upstream now: it is known,
 * not backing off, and not nearly out of its rate-limit budget (at least
 * {@code minRemaining} requests left, or no budget announced). Client
 * requests never consult it: the budget it keeps is theirs.
 */
public final class UpstreamBudget implements Predicate<String> {

    private final Function<String, Upstream> upstreams;
    private final long minRemaining;

    public UpstreamBudget(Function<String, Upstream> upstreams, long minRemaining) {
        this.upstreams = upstreams;
        this.minRemaining = minRemaining;
    }

    @Override
    public boolean test(String upstreamName) {
        Upstream u = upstreams.apply(upstreamName);
        if (u == null) {
            return false;
        }
        RateLimitState limit = u.rateLimit();
        if (limit.backingOff()) {
            return false;
        }
        long remaining = limit.snapshot().remaining();
        return remaining < 0 || remaining >= minRemaining;
    }
}
