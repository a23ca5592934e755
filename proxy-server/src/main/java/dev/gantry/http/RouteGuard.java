package dev.gantry.http;

import dev.gantry.auth.Access;
import dev.gantry.oci.ErrorCode;
import dev.gantry.oci.Reference;
import dev.gantry.oci.RegistryException;
import dev.gantry.registry.Repository;
import io.netty.handler.codec.http.HttpMethod;
import java.util.Map;
import java.util.concurrent.CompletionException;

/**
 * Takes a request from its route to its handler: finds the row in the
 * {@link RouteTable}, reads the repository and reference the path names,
 * and applies the row's {@link Requirement} (read-only policy,
 * authentication, authorisation) once, before the handler runs. Its order
 * is what clients see: a method the route never answers is refused before
 * the path is read, unless the kind says otherwise; a write to a mirrored
 * repository is refused before any credentials are checked.
 */
final class RouteGuard {

    private final RouteTable table;
    private final AuthGate auth;
    private final RegistryEndpoints endpoints;
    private final PasswordChecks passwords;

    RouteGuard(RouteTable table, AuthGate auth, RegistryEndpoints endpoints, PasswordChecks passwords) {
        this.table = table;
        this.auth = auth;
        this.endpoints = endpoints;
        this.passwords = passwords;
    }

    /**
     * Answers {@code ex}: at once, or, when its password costs a bcrypt to check, once that check has run on
     * a password thread ({@link PasswordChecks}), back on the connection's event loop. The request's body waits
     * meanwhile (it is read only once a handler asks for it).
     */
    void route(Exchange ex, Route route) {
        if (!auth.slowToCheck(ex)) {
            dispatch(ex, route);
            return;
        }
        passwords.run(() -> auth.checkBasicAhead(ex)).whenComplete((v, e) -> ex.ctx().executor().execute(() -> {
            if (e != null) {
                ex.fail(e instanceof CompletionException && e.getCause() != null ? e.getCause() : e);
                return;
            }
            try {
                dispatch(ex, route);
            } catch (RuntimeException failure) {
                ex.fail(failure);
            }
        }));
    }

    /** Answers {@code ex}, or throws what its error response should say. */
    void dispatch(Exchange ex, Route route) {
        RouteTable.Entry entry = table.entry(route.kind());
        if (entry == null) {
            throw new RegistryException(ErrorCode.UNSUPPORTED, 404, "no such endpoint", Map.of(), null);
        }
        HttpMethod method = ex.request().method();
        RouteTable.Row row = entry.row(method);
        if (row == null && entry.otherMethods() == null && entry.absent() == null) {
            throw entry.notAllowed(method);
        }
        Repository repo = null;
        Reference reference = null;
        if (entry.target != RouteTable.Target.NONE) {
            repo = endpoints.resolve(ex, route.name());
            try {
                reference = entry.target.reference(route);
            } catch (RegistryException e) {
                // A tag no manifest can carry: unknown to a pull, but a push of it is invalid (400), not "not found".
                if (method.equals(HttpMethod.PUT) && e.code() == ErrorCode.MANIFEST_UNKNOWN) {
                    throw new RegistryException(ErrorCode.MANIFEST_INVALID, e.getMessage());
                }
                throw e;
            }
        }
        if (entry.absent() != null) {
            throw new RegistryException(ErrorCode.UNSUPPORTED, 404, entry.absent(), Map.of(), null);
        }
        if (row == null) {
            require(ex, entry.otherMethods(), route, repo);
            throw entry.notAllowed(method);
        }
        require(ex, row.requirement(), route, repo);
        row.handler().handle(ex, route, repo, reference);
    }

    private void require(Exchange ex, Requirement requirement, Route route, Repository repo) {
        switch (requirement) {
            case PUBLIC -> { }
            case CALLER -> auth.caller(ex);
            case LOGIN -> auth.requireBase(ex);
            case PULL -> auth.require(ex, repo, scopeName(ex, route), Access.PULL);
            case PUSH -> {
                requireHosted(repo);
                auth.require(ex, repo, scopeName(ex, route), Access.PUSH);
            }
            case UPLOAD -> {
                requireHosted(repo);
                String from = mountScopeName(ex);
                auth.require(ex, repo, scopeName(ex, route), Access.PUSH, from == null ? null : "repository:" + from + ":pull");
            }
            case DELETE -> {
                requireHosted(repo);
                auth.require(ex, repo, scopeName(ex, route), Access.DELETE);
            }
            case ADMIN -> auth.requireAdminCaller(ex);
            case PEER -> {
                auth.requirePeer(ex);
                if (repo != null && repo.isHosted()) {
                    throw new RegistryException(ErrorCode.NAME_UNKNOWN, "the fleet's peer channel serves mirrored repositories only");
                }
            }
        }
    }

    /** The {@code from=} of a mount, when it is a name a scope can carry; else null. */
    static String mountScopeName(Exchange ex) {
        String from = ex.param("from");
        return ex.param("mount") != null && from != null && from.matches("[a-z0-9._/-]{1,255}") ? from : null;
    }

    /** The repository as a challenge's scope names it: as the client named it, with {@code ns} folded in. */
    static String scopeName(Exchange ex, Route route) {
        String ns = ex.param("ns");
        return ns == null || ns.isEmpty() ? route.name() : ns + "/" + route.name();
    }

    /** Writes to a mirrored repository are refused whoever asks: there is nothing to authorize. */
    private void requireHosted(Repository repo) {
        if (!repo.isHosted()) {
            RegistryException e = Responses.readOnly(repo);
            throw new RegistryException(e.code(), e.status(), e.getMessage() + " (hosted namespaces: "
                    + endpoints.hostedPrefixes() + ")", Map.of(), null);
        }
    }
}
