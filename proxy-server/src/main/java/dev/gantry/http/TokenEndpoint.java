package dev.gantry.http;

import dev.gantry.auth.Access;
import dev.gantry.auth.AccessPolicy;
import dev.gantry.auth.Authenticator;
import dev.gantry.auth.TokenIssuer;
import dev.gantry.config.AuthConfig;
import dev.gantry.oci.ErrorCode;
import dev.gantry.oci.RegistryException;
import dev.gantry.registry.Repository;
import dev.gantry.registry.RepositoryResolver;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code GET /token}: Docker's token protocol, for clients that want bearer
 * tokens. A token carries what the policy grants the caller of what it asked
 * for, never more; {@link AuthGate} checks tokens on every other request.
 */
final class TokenEndpoint {

    private final Authenticator authenticator;
    private final AccessPolicy policy;
    private final AuthConfig config;
    private final RepositoryResolver resolver;

    TokenEndpoint(Authenticator authenticator, AccessPolicy policy, AuthConfig config, RepositoryResolver resolver) {
        this.authenticator = authenticator;
        this.policy = policy;
        this.config = config;
        this.resolver = resolver;
    }

    /** {@code GET /token}: Docker's token protocol. Basic credentials optional; grants what the policy allows. */
    FullHttpResponse token(Exchange ex) {
        String authorization = AuthGate.authorization(ex);
        String user = null;
        if (authorization != null && authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
            try {
                user = AuthGate.basicUser(ex, authorization, authenticator);
            } catch (Authenticator.Refused e) {
                if (e.rateLimited()) {
                    throw new RegistryException(ErrorCode.TOOMANYREQUESTS, 429, e.getMessage(), Map.of("Retry-After", "60"), null);
                }
                throw new RegistryException(ErrorCode.UNAUTHORIZED, 401, e.getMessage(),
                        Map.of("WWW-Authenticate", "Basic realm=\"" + config.service() + "\""), null);
            }
        }
        String service = ex.param("service");
        if (service != null && !service.equals(authenticator.tokens().service())) {
            throw new RegistryException(ErrorCode.DENIED, 400, "this token service is '" + authenticator.tokens().service() + "'",
                    Map.of(), null);
        }
        List<Access> granted = new ArrayList<>();
        for (String scope : ex.params("scope")) {
            for (String one : scope.split(" ")) {
                grant(user, one).ifPresent(granted::add);
            }
        }
        String token;
        try {
            token = authenticator.tokens().issue(user == null ? "" : user, granted);
        } catch (TokenIssuer.TooLong e) {
            throw new RegistryException(ErrorCode.DENIED, 400, e.getMessage(), Map.of(), null);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("token", token);
        body.put("access_token", token);
        body.put("expires_in", authenticator.tokens().ttl().toSeconds());
        body.put("issued_at", authenticator.tokens().clock().instant().toString());
        FullHttpResponse response = Responses.json(HttpResponseStatus.OK, body);
        // A credential: never kept by a cache on the way, nor by the client's (RFC 6749 §5.1 asks the same).
        response.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        return response;
    }

    private Optional<Access> grant(String user, String scope) {
        Access asked;
        try {
            asked = Access.parseScope(scope);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        if (AuthGate.isEverywhere(asked)) {
            // The console's session: pull (and admin, asked by name) wherever the rules let this caller, judged per request.
            Set<String> actions = new LinkedHashSet<>();
            if (asked.allows(Access.PULL)) {
                actions.add(Access.PULL);
            }
            if (user != null && asked.actions().contains(Access.ADMIN) && policy.administersAny(user)) {
                actions.add(Access.ADMIN);
            }
            return actions.isEmpty() ? Optional.empty() : Optional.of(new Access(AuthGate.EVERYWHERE_TYPE, "*", actions));
        }
        if (!"repository".equals(asked.type())) {
            return Optional.empty();
        }
        Repository repo;
        try {
            repo = resolver.resolve(asked.name(), null);
        } catch (RegistryException e) {
            return Optional.empty();
        }
        Set<String> allowed = new LinkedHashSet<>();
        for (String action : asked.actions()) {
            for (String a : "*".equals(action) ? List.of(Access.PULL, Access.PUSH, Access.DELETE) : List.of(action)) {
                if (policy.allows(user, repo.fullName(), repo.isHosted(), repo.fromPrivateUpstream(), a)) {
                    allowed.add(a);
                }
            }
        }
        return Optional.of(new Access("repository", repo.fullName(), allowed));
    }
}
