package dev.gantry.http;

import dev.gantry.auth.Access;
import dev.gantry.auth.AccessPolicy;
import dev.gantry.auth.Authenticator.Caller;
import dev.gantry.auth.Authenticator;
import dev.gantry.config.AuthConfig;
import dev.gantry.oci.ErrorCode;
import dev.gantry.oci.RegistryException;
import dev.gantry.registry.Repository;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpHeaderNames;
import java.net.InetSocketAddress;
import java.util.Base64;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Access control at the edge: who the caller is (Basic, a bearer token we
 * issued, or nobody), whether the policy lets them do what the request does,
 * (Docker's token protocol, {@code /token}, is {@link TokenEndpoint}).
 * A refused anonymous caller gets 401 with a challenge naming the scope to
 * ask for; a refused user gets 403 {@code DENIED}.
 */
final class AuthGate {

    static final String EVERYWHERE_TYPE = "registry";
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9.-]+(:[0-9]{1,5})?|\\[[0-9A-Fa-f:.]+](:[0-9]{1,5})?");

    private final Authenticator authenticator;
    private final AccessPolicy policy;
    private final AuthConfig config;
    private final boolean tls;

    AuthGate(Authenticator authenticator, AccessPolicy policy, AuthConfig config, boolean tls) {
        this.authenticator = authenticator;
        this.policy = policy;
        this.config = config;
        this.tls = tls;
    }

    /** Whether users exist: then {@code /v2/} asks who is calling, as {@code docker login} expects. */
    boolean enabled() {
        return authenticator.hasUsers();
    }

    Caller caller(Exchange ex) {
        Caller cached = ex.caller();
        if (cached != null) {
            return cached;
        }
        try {
            String authorization = authorization(ex);
            Caller c = authorization != null && authorization.regionMatches(true, 0, "Basic ", 0, 6)
                    ? new Caller(basicUser(ex, authorization), null)
                    : authenticator.authenticate(authorization, client(ex.ctx()));
            ex.caller(c);
            return c;
        } catch (Authenticator.Refused e) {
            if (e.rateLimited()) {
                throw new RegistryException(ErrorCode.TOOMANYREQUESTS, 429, e.getMessage(), Map.of("Retry-After", "60"), null);
            }
            throw new RegistryException(ErrorCode.UNAUTHORIZED, 401, e.getMessage(), challenge(ex, null), null);
        }
    }

    /**
     * The peer channel: only another replica of this fleet (the fleet's shared secret), never a
     * user, a token or an anonymous caller; closed (401 to all) when the replicas share no key.
     */
    void requirePeer(Exchange ex) {
        if (!authenticator.isPeer(authorization(ex), ex.request().method().name(), ex.request().uri())) {
            throw new RegistryException(ErrorCode.UNAUTHORIZED, 401,
                    "the fleet's peer channel is for replicas of this fleet (auth.tokenKeys) only", Map.of(), null);
        }
    }

    /** {@code GET /v2/}: with users configured, callers must say who they are (or hold a token). */
    void requireBase(Exchange ex) {
        Caller c = caller(ex);
        if (enabled() && c.anonymous() && c.grants() == null) {
            throw new RegistryException(ErrorCode.UNAUTHORIZED, 401, "authentication required", challenge(ex, null), null);
        }
    }

    /**
     * Throws unless the caller may do {@code action} on {@code repo}.
     *
     * @param scopeName the repository as the challenge should name it (as the client named it)
     */
    void require(Exchange ex, Repository repo, String scopeName, String action) {
        require(ex, repo, scopeName, action, null);
    }

    /**
     * As {@link #require(Exchange, Repository, String, String)}, with one more
     * scope to ask for in the challenge (a mount reads its source repository:
     * as Distribution does, the client is told to get a token covering both).
     */
    void require(Exchange ex, Repository repo, String scopeName, String action, String extraScope) {
        Caller c = caller(ex);
        if (permits(c, repo, action)) {
            return;
        }
        if (c.anonymous()) {
            String scope = "repository:" + scopeName + ":" + (Access.PULL.equals(action) ? "pull" : "pull," + action)
                    + (extraScope == null ? "" : " " + extraScope);
            String why = repo.fromPrivateUpstream() ? repo.requestedName() + " comes from an upstream with credentials: log in"
                    : Access.PULL.equals(action) ? "authentication required to pull " + repo.requestedName()
                    : "authentication required to " + action + " " + repo.requestedName() + (enabled() ? "" : " (no users are configured: set auth.htpasswd)");
            throw new RegistryException(ErrorCode.UNAUTHORIZED, 401, why, challenge(ex, scope), null);
        }
        throw new RegistryException(ErrorCode.DENIED, 403, "user " + c.user() + " may not " + action + " " + repo.requestedName(),
                Map.of(), null);
    }

    /**
     * Whether a mount may read its source repository. A caller whose token
     * lacks pull there, though the policy would grant it, is challenged (401)
     * for both repositories' scopes, as Distribution does, so the client comes
     * back with a token that covers the mount; the challenge depends only on
     * the caller's rights, never on whether the source holds the blob. A
     * caller the policy refuses gets false: the mount becomes an upload.
     *
     * @param targetScopeName the mount's target as the challenge names it
     * @param sourceScopeName the mount's source ({@code from=}) as the client named it
     */
    boolean permitsMountSource(Exchange ex, Repository source, String targetScopeName, String sourceScopeName) {
        Caller c = caller(ex);
        if (permits(c, source, Access.PULL)) {
            return true;
        }
        boolean tokenTooNarrow = c.grants() != null
                && policy.allows(c.user(), source.fullName(), source.isHosted(), source.fromPrivateUpstream(), Access.PULL);
        if (!tokenTooNarrow) {
            return false;
        }
        String scope = "repository:" + targetScopeName + ":pull,push repository:" + sourceScopeName + ":pull";
        throw new RegistryException(ErrorCode.UNAUTHORIZED, 401, "the token does not cover pulling " + source.requestedName()
                + ", which this mount reads: get one for " + scope, challenge(ex, scope), null);
    }

    boolean permits(Caller c, Repository repo, String action) {
        if (!policy.allows(c.user(), repo.fullName(), repo.isHosted(), repo.fromPrivateUpstream(), action)) {
            return false;
        }
        if (c.grants() == null) {
            return true;
        }
        for (Access a : c.grants()) {
            if (isEverywhere(a) && a.allows(action)) {
                return true; // the policy, checked above, decides repository by repository
            }
            if ("repository".equals(a.type()) && a.name().equals(repo.fullName()) && a.allows(action)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The caller of an admin route, if it may use the admin API at all: it
     * holds {@code admin} somewhere (a rule grants it), or it calls from a
     * loopback address while no users exist and {@code auth.loopbackAdmin}
     * is on. Anonymous callers get 401, others 403 {@code DENIED}.
     */
    Caller requireAdminCaller(Exchange ex) {
        Caller c = caller(ex);
        if (loopbackAdmin(ex, c)) {
            return c;
        }
        if (c.anonymous()) {
            throw new RegistryException(ErrorCode.UNAUTHORIZED, 401, "the admin API needs a user that an auth.rules entry grants "
                    + "the admin action" + (enabled() ? "" : " (no users are configured: set auth.htpasswd, or auth.loopbackAdmin "
                    + "for callers on this machine)"), challenge(ex, null), null);
        }
        if (!policy.administersAny(c.user())) {
            throw new RegistryException(ErrorCode.DENIED, 403, "user " + c.user() + " may not use the admin API (no rule grants "
                    + "it the admin action)", Map.of(), null);
        }
        return c;
    }

    /** Throws unless the caller may administer {@code repo} (evict, pin, warm, inspect it). */
    void requireAdmin(Exchange ex, Repository repo) {
        Caller c = requireAdminCaller(ex);
        if (!administers(ex, c, repo)) {
            throw new RegistryException(ErrorCode.DENIED, 403, (c.anonymous() ? "this caller" : "user " + c.user())
                    + " may not administer " + repo.fullName(), Map.of(), null);
        }
    }

    /** Whether the caller holds {@code admin} on {@code repo}. */
    boolean administers(Exchange ex, Caller c, Repository repo) {
        return loopbackAdmin(ex, c) || (!c.anonymous() && permits(c, repo, Access.ADMIN));
    }

    /** With no users at all and {@code auth.loopbackAdmin} on, a caller on this machine holds admin. */
    private boolean loopbackAdmin(Exchange ex, Caller c) {
        return config.loopbackAdmin() && !enabled() && c.anonymous()
                && ex.ctx().channel().remoteAddress() instanceof InetSocketAddress a && a.getAddress().isLoopbackAddress();
    }

    /**
     * Whether the request's credentials cost a bcrypt to check (Basic, a password not checked out lately):
     * then {@link #checkBasicAhead} runs before the request is routed, on another thread than the event loop's,
     * which serves every other connection it holds meanwhile.
     */
    boolean slowToCheck(Exchange ex) {
        return authenticator.slowToCheck(authorization(ex), client(ex.ctx()));
    }

    /** Checks the request's Basic credentials now (blocks: a bcrypt); the exchange keeps the outcome. */
    void checkBasicAhead(Exchange ex) {
        String authorization = authorization(ex);
        try {
            ex.basicChecked(authenticator.basic(authorization.substring(6).trim(), client(ex.ctx())), null);
        } catch (Authenticator.Refused e) {
            ex.basicChecked(null, e);
        }
    }

    /** The user the request's Basic credentials name: as checked ahead, or checked now. */
    static String basicUser(Exchange ex, String authorization, Authenticator authenticator) throws Authenticator.Refused {
        if (ex.basicRefused() != null) {
            throw ex.basicRefused();
        }
        if (ex.basicUser() != null) {
            return ex.basicUser();
        }
        return authenticator.basic(authorization.substring(6).trim(), client(ex.ctx()));
    }

    private String basicUser(Exchange ex, String authorization) throws Authenticator.Refused {
        return basicUser(ex, authorization, authenticator);
    }

    /**
     * The request's {@code Authorization}, or null when it names nobody:
     * {@code Basic} with an empty user and an empty password ({@code Basic Og==},
     * what some clients send when they have no credentials for a host) is an
     * anonymous caller, not a failed login.
     */
    static String authorization(Exchange ex) {
        String header = ex.request().headers().get(HttpHeaderNames.AUTHORIZATION);
        if (header == null || !header.regionMatches(true, 0, "Basic ", 0, 6)) {
            return header;
        }
        try {
            byte[] decoded = Base64.getDecoder().decode(header.substring(6).trim());
            return decoded.length == 1 && decoded[0] == ':' ? null : header;
        } catch (IllegalArgumentException e) {
            return header; // malformed: the authenticator refuses it
        }
    }

    /**
     * {@code registry:*:pull,admin}, the scope the web console asks for: one
     * token that reads whatever its holder may pull, so that listings
     * (catalog, search, cached repositories) filtered by {@link #permits} show
     * the user's view, and administers what an admin rule gives the user
     * (only when asked by name, never through {@code *}). Never push or
     * delete: a token for everything stays read-only for content.
     */
    static boolean isEverywhere(Access a) {
        return EVERYWHERE_TYPE.equals(a.type()) && "*".equals(a.name());
    }

    private Map<String, String> challenge(Exchange ex, String scope) {
        StringBuilder c = new StringBuilder("Bearer realm=\"").append(realm(ex)).append("\",service=\"")
                .append(authenticator.tokens().service()).append('"');
        if (scope != null) {
            c.append(",scope=\"").append(scope).append('"');
        }
        return Map.of("WWW-Authenticate", c.toString());
    }

    private String realm(Exchange ex) {
        if (config.realm() != null) {
            return config.realm();
        }
        String host = ex.request().headers().get(HttpHeaderNames.HOST);
        if (host == null || !HOST.matcher(host).matches()) {
            InetSocketAddress local = (InetSocketAddress) ex.ctx().channel().localAddress();
            host = local.getHostString() + ":" + local.getPort();
        }
        return (tls ? "https://" : "http://") + host + "/token";
    }

    static String client(ChannelHandlerContext ctx) {
        return ctx.channel().remoteAddress() instanceof InetSocketAddress a ? a.getAddress().getHostAddress() : "unknown";
    }
}
