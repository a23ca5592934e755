package dev.gantry.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Turns an {@code Authorization} header into a caller: a user checked
 * against htpasswd (Basic), a token we issued (Bearer), or anonymous.
 * Failed logins are counted per client address; past the limit the address
 * is refused for a minute without even checking, which also bounds the
 * bcrypt work an attacker can cause. Thread-safe.
 */
public final class Authenticator {

    /** Who is calling. {@code user} is null for anonymous; {@code grants} is null unless a token was presented. */
    public record Caller(String user, List<Access> grants) {
        public static final Caller ANONYMOUS = new Caller(null, null);

        public boolean anonymous() {
            return user == null;
        }
    }

    /** Why a presented credential was refused. */
    public static final class Refused extends Exception {
        private final boolean rateLimited;

        Refused(String message, boolean rateLimited) {
            super(message, null, false, false);
            this.rateLimited = rateLimited;
        }

        public boolean rateLimited() {
            return rateLimited;
        }
    }

    private final Htpasswd users;
    private final TokenIssuer tokens;
    private final int maxFailures;
    private final PeerTokens peers;
    private final Cache<String, AtomicInteger> failures;

    /**
     * @param users null when no htpasswd is configured (nobody can log in)
     * @param clients how many clients' failure counts are held at most
     */
    public Authenticator(Htpasswd users, TokenIssuer tokens, int maxFailuresPerMinute, long clients, Clock clock) {
        this(users, tokens, null, maxFailuresPerMinute, clients, clock);
    }

    /** @param peers the fleet's peer credentials; null when replicas share no key (the peer channel is closed) */
    public Authenticator(Htpasswd users, TokenIssuer tokens, PeerTokens peers, int maxFailuresPerMinute, long clients,
                         Clock clock) {
        this.peers = peers;
        this.users = users;
        this.tokens = tokens;
        this.maxFailures = maxFailuresPerMinute;
        this.failures = Caffeine.newBuilder().expireAfterWrite(1, TimeUnit.MINUTES)
                .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis())).maximumSize(clients).build();
    }

    /**
     * Whether users are configured ({@code auth.htpasswd}), however many of its entries are valid now: a file
     * rewritten with none (or caught halfway through a rewrite) must not turn the mirror into one without users,
     * where {@code /v2/} asks no one and {@code auth.loopbackAdmin} hands loopback callers the admin API.
     */
    public boolean hasUsers() {
        return users != null;
    }

    /**
     * Whether {@code authorization} is another replica of this fleet on the peer channel, made for this
     * request ({@code target}: path and query as on the request line); never when the channel is closed.
     */
    public boolean isPeer(String authorization, String method, String target) {
        return peers != null && peers.verify(authorization, method, target);
    }

    /** The fleet's peer credentials, or null when the peer channel is closed. */
    public PeerTokens peers() {
        return peers;
    }

    public TokenIssuer tokens() {
        return tokens;
    }

    /**
     * The caller a header names; anonymous when there is none.
     *
     * @throws Refused for wrong credentials, a bad or expired token, or too many failures from {@code client}
     */
    public Caller authenticate(String authorization, String client) throws Refused {
        if (authorization == null || authorization.isBlank()) {
            return Caller.ANONYMOUS;
        }
        String h = authorization.trim();
        if (h.regionMatches(true, 0, "Bearer ", 0, 7)) {
            Optional<TokenIssuer.Verified> v = tokens.verify(h.substring(7).trim());
            if (v.isEmpty()) {
                throw new Refused("the bearer token is invalid or expired; get a new one", false);
            }
            String sub = v.get().subject();
            return new Caller(sub.isEmpty() ? null : sub, v.get().access());
        }
        if (h.regionMatches(true, 0, "Basic ", 0, 6)) {
            String user = basic(h.substring(6).trim(), client);
            return new Caller(user, null);
        }
        throw new Refused("unsupported authorization scheme", false);
    }

    /**
     * Whether checking {@code authorization} means a bcrypt (tens to hundreds of milliseconds of CPU): Basic
     * credentials of a user whose password was not checked out lately, from a client not locked out.
     * Everything else is answered at once.
     */
    public boolean slowToCheck(String authorization, String client) {
        if (users == null || authorization == null || !authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
            return false;
        }
        AtomicInteger count = failures.getIfPresent(client);
        if (count != null && count.get() >= maxFailures) {
            return false;
        }
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(authorization.substring(6).trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return false;
        }
        int colon = decoded.indexOf(':');
        String user = colon < 0 ? decoded : decoded.substring(0, colon);
        return !user.isEmpty() && !users.rememberedNow(user, colon < 0 ? "" : decoded.substring(colon + 1));
    }

    /** Checks Basic credentials ({@code base64(user:password)}); returns the user. */
    public String basic(String encoded, String client) throws Refused {
        AtomicInteger count = failures.getIfPresent(client);
        if (count != null && count.get() >= maxFailures) {
            throw new Refused("too many failed logins from " + client + "; try again in a minute", true);
        }
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            fail(client);
            throw new Refused("malformed Basic credentials", false);
        }
        int colon = decoded.indexOf(':');
        String user = colon < 0 ? decoded : decoded.substring(0, colon);
        String password = colon < 0 ? "" : decoded.substring(colon + 1);
        if (users == null || user.isEmpty() || !users.verify(user, password)) {
            fail(client);
            throw new Refused("wrong user name or password", false);
        }
        return user;
    }

    private void fail(String client) {
        failures.get(client, k -> new AtomicInteger()).incrementAndGet();
    }
}
