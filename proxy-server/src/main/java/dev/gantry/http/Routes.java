package dev.gantry.http;

import static dev.gantry.http.Requirement.ADMIN;
import static dev.gantry.http.Requirement.CALLER;
import static dev.gantry.http.Requirement.DELETE;
import static dev.gantry.http.Requirement.LOGIN;
import static dev.gantry.http.Requirement.PEER;
import static dev.gantry.http.Requirement.PULL;
import static dev.gantry.http.Requirement.PUBLIC;
import static dev.gantry.http.Requirement.PUSH;
import static dev.gantry.http.Requirement.UPLOAD;

import dev.gantry.auth.Access;
import dev.gantry.http.Route.Kind;
import dev.gantry.http.RouteTable.Target;
import dev.gantry.oci.Digest;
import dev.gantry.oci.RegistryException;
import dev.gantry.registry.Repository;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.Map;

/**
 * The rows of Gantry's {@link RouteTable}: the whole HTTP surface on one
 * page, each endpoint with the access it needs. The README's endpoint
 * reference and this table must agree.
 */
final class Routes {

    private static final String NO_HARDWARE = "endpoint not available on this server";
    private static final String ANSWERS_GET = "this endpoint answers GET";
    private static final String PINS = "pins answer GET, PUT and DELETE";

    private final AuthGate auth;
    private final RegistryEndpoints endpoints;

    private Routes(AuthGate auth, RegistryEndpoints endpoints) {
        this.auth = auth;
        this.endpoints = endpoints;
    }

    /**
     * @param hardware the {@code _gantry} extension; null: not offered (404)
     * @param search {@code /v2/_gantry/search}; null: not offered (404)
     */
    static RouteTable table(ServerEndpoints server, AuthGate auth, TokenEndpoint token, RegistryEndpoints endpoints,
                            PushEndpoints push, AdminEndpoints admin, HardwareEndpoints hardware, SearchEndpoint search) {
        Routes routes = new Routes(auth, endpoints);
        RouteTable t = new RouteTable();
        t.kind(Kind.HEALTH, Target.NONE).anyMethod(PUBLIC, (ex, r, repo, ref) -> server.health(ex));
        t.kind(Kind.READY, Target.NONE).anyMethod(PUBLIC, (ex, r, repo, ref) -> server.ready(ex));
        t.kind(Kind.METRICS, Target.NONE).read(PUBLIC, (ex, r, repo, ref) -> server.metrics(ex));
        t.kind(Kind.STATUS, Target.NONE).read(PUBLIC, (ex, r, repo, ref) -> server.status(ex));
        t.kind(Kind.ROOT, Target.NONE).read(PUBLIC, (ex, r, repo, ref) -> ex.respond(ConsoleAssets.redirectToConsole()));
        t.kind(Kind.CONSOLE, Target.NONE).read(PUBLIC, (ex, r, repo, ref) -> server.console(ex, r));
        t.kind(Kind.TOKEN, Target.NONE).read(PUBLIC, (ex, r, repo, ref) -> ex.respond(token.token(ex)));
        t.kind(Kind.DISCOVER, Target.NONE).read(PUBLIC,
                (ex, r, repo, ref) -> ex.respond(Responses.json(HttpResponseStatus.OK, HardwareEndpoints.discovery())));
        t.kind(Kind.BASE, Target.NONE).read(LOGIN, (ex, r, repo, ref) -> ex.respond(Responses.json(HttpResponseStatus.OK, Map.of())));
        t.kind(Kind.CATALOG, Target.NONE).read(CALLER, (ex, r, repo, ref) -> routes.catalog(ex));

        t.kind(Kind.MANIFEST, Target.TAG_OR_DIGEST).otherMethods(PUBLIC)
                .read(PULL, (ex, r, repo, ref) -> endpoints.manifest(ex, repo, ref))
                .on("PUT", PUSH, (ex, r, repo, ref) -> push.putManifest(ex, repo, ref))
                .on("DELETE", DELETE, (ex, r, repo, ref) -> push.deleteManifest(ex, repo, ref));
        t.kind(Kind.BLOB, Target.DIGEST).otherMethods(PUBLIC)
                .read(PULL, (ex, r, repo, ref) -> endpoints.blob(ex, repo, ref.digest()))
                .on("DELETE", DELETE, (ex, r, repo, ref) -> push.deleteBlob(ex, repo, ref.digest()));
        t.kind(Kind.BLOB_UPLOAD, Target.REPOSITORY).otherMethods(UPLOAD)
                .on("POST", UPLOAD, (ex, r, repo, ref) -> routes.startUpload(ex, r, repo, push));
        t.kind(Kind.UPLOAD_SESSION, Target.REPOSITORY).otherMethods(UPLOAD)
                .on("PATCH", UPLOAD, (ex, r, repo, ref) -> push.appendUpload(ex, repo, r.reference()))
                .on("PUT", UPLOAD, (ex, r, repo, ref) -> push.completeUpload(ex, repo, r.reference()))
                .read(UPLOAD, (ex, r, repo, ref) -> push.uploadState(ex, repo, r.reference()))
                .on("DELETE", UPLOAD, (ex, r, repo, ref) -> push.cancelUpload(ex, repo, r.reference()));
        // The fleet's peer channel: the same answers, for another replica, fetched here (never from a third).
        t.kind(Kind.PEER_MANIFEST, Target.TAG_OR_DIGEST).refusing(ANSWERS_GET)
                .read(PEER, (ex, r, repo, ref) -> endpoints.manifest(ex, repo.forPeer(), ref));
        t.kind(Kind.PEER_BLOB, Target.DIGEST).refusing(ANSWERS_GET)
                .read(PEER, (ex, r, repo, ref) -> endpoints.peerBlob(ex, repo.forPeer(), ref.digest()));
        t.kind(Kind.PEER_NEWS, Target.NONE).refusing("this endpoint answers POST")
                .on("POST", PEER, (ex, r, repo, ref) -> server.fleetNews(ex));
        t.kind(Kind.TAGS, Target.REPOSITORY).read(PULL, (ex, r, repo, ref) -> endpoints.tags(ex, repo, r.name()));
        t.kind(Kind.REFERRERS, Target.REPOSITORY).read(PULL,
                (ex, r, repo, ref) -> endpoints.referrers(ex, repo, Digest.parse(Responses.decode(r.reference()))));

        if (search == null) {
            t.kind(Kind.SEARCH, Target.NONE).absent("hardware search is not available on this server");
        } else {
            t.kind(Kind.SEARCH, Target.NONE).refusing("this endpoint answers GET, or POST with a host profile")
                    .read(CALLER, (ex, r, repo, ref) -> search.search(ex))
                    .on("POST", CALLER, (ex, r, repo, ref) -> search.search(ex));
        }
        hardwareRows(t, hardware);
        adminRows(t, admin);
        return t.seal();
    }

    private static void hardwareRows(RouteTable t, HardwareEndpoints hardware) {
        if (hardware == null) {
            for (Kind k : new Kind[] {Kind.EXTENSION, Kind.EXTENSION_DISCOVER, Kind.HARDWARE, Kind.AUGMENTED_MANIFEST, Kind.HARDWARE_CHECK}) {
                t.kind(k, Target.NONE).absent(NO_HARDWARE);
            }
            return;
        }
        t.kind(Kind.EXTENSION, Target.REPOSITORY).absent("no such extension endpoint");
        t.kind(Kind.EXTENSION_DISCOVER, Target.REPOSITORY).anyMethod(PUBLIC,
                (ex, r, repo, ref) -> ex.respond(Responses.json(HttpResponseStatus.OK, HardwareEndpoints.discovery())));
        t.kind(Kind.HARDWARE, Target.TAG_OR_DIGEST).otherMethods(PULL).refusing(ANSWERS_GET)
                .read(PULL, (ex, r, repo, ref) -> hardware.documents(ex, repo, ref));
        t.kind(Kind.AUGMENTED_MANIFEST, Target.TAG_OR_DIGEST).otherMethods(PULL).refusing(ANSWERS_GET)
                .read(PULL, (ex, r, repo, ref) -> hardware.augmented(ex, repo, ref));
        t.kind(Kind.HARDWARE_CHECK, Target.TAG_OR_DIGEST).otherMethods(PULL).refusing("this endpoint answers POST")
                .on("POST", PULL, (ex, r, repo, ref) -> hardware.check(ex, repo, ref));
    }

    /** The admin API: every row needs {@code admin}; each repository it names is checked again by name. */
    private static void adminRows(RouteTable t, AdminEndpoints admin) {
        t.kind(Kind.ADMIN_REPOSITORIES, Target.NONE).refusing(ANSWERS_GET)
                .read(ADMIN, (ex, r, repo, ref) -> admin.repositories(ex));
        t.kind(Kind.ADMIN_REPOSITORY, Target.NONE).refusing(ANSWERS_GET)
                .read(ADMIN, (ex, r, repo, ref) -> admin.repository(ex, r.reference()))
                .on("DELETE", ADMIN, (ex, r, repo, ref) -> admin.evict(ex, r.reference()));
        t.kind(Kind.ADMIN_CACHE, Target.NONE).refusing("this endpoint answers DELETE")
                .on("DELETE", ADMIN, (ex, r, repo, ref) -> admin.evict(ex, r.reference()));
        t.kind(Kind.ADMIN_PINS, Target.NONE).refusing(PINS)
                .on("GET", ADMIN, (ex, r, repo, ref) -> admin.pins(ex))
                .on("PUT", ADMIN, (ex, r, repo, ref) -> admin.pin(ex, r.reference(), true))
                .on("DELETE", ADMIN, (ex, r, repo, ref) -> admin.pin(ex, r.reference(), false));
        t.kind(Kind.ADMIN_PIN, Target.NONE).refusing(PINS)
                .on("PUT", ADMIN, (ex, r, repo, ref) -> admin.pin(ex, r.reference(), true))
                .on("DELETE", ADMIN, (ex, r, repo, ref) -> admin.pin(ex, r.reference(), false));
        t.kind(Kind.ADMIN_WARM, Target.NONE).refusing(ANSWERS_GET)
                .on("POST", ADMIN, (ex, r, repo, ref) -> admin.warm(ex))
                .read(ADMIN, (ex, r, repo, ref) -> admin.jobs(ex));
        t.kind(Kind.ADMIN_WARM_JOB, Target.NONE).refusing(ANSWERS_GET)
                .read(ADMIN, (ex, r, repo, ref) -> admin.job(ex, r.reference()));
    }

    private void catalog(Exchange ex) {
        var caller = auth.caller(ex);
        endpoints.catalog(ex, name -> {
            try {
                // As a pull names it, never through the request's ns: with ?ns=<upstream> a hosted name would
                // resolve as a mirrored repository of that upstream, and that upstream's rules would decide.
                Repository listed = endpoints.listed(name);
                return listed.isHosted() && auth.permits(caller, listed, Access.PULL);
            } catch (RegistryException e) {
                return false;
            }
        });
    }

    private void startUpload(Exchange ex, Route route, Repository repo, PushEndpoints push) {
        var caller = auth.caller(ex);
        push.startUpload(ex, repo, mountSource(ex, RouteGuard.scopeName(ex, route)), source -> auth.permits(caller, source, Access.PULL));
    }

    /**
     * The repository named by {@code from=} of a mount, or null if it names
     * none Gantry knows or the caller may not read there (then: upload). A
     * token that could be widened to read there is challenged instead.
     */
    private Repository mountSource(Exchange ex, String targetScopeName) {
        String from = ex.param("from");
        if (from == null || ex.param("mount") == null) {
            return null;
        }
        Repository source;
        try {
            source = endpoints.resolve(ex, from);
        } catch (RegistryException e) {
            return null;
        }
        if (source.fromPrivateUpstream()) {
            return null; // never mounted (see Mounts): no point asking for a wider token
        }
        // Mounting reads the blob in the source: the caller must be allowed to pull there.
        String sourceScopeName = RouteGuard.mountScopeName(ex);
        return sourceScopeName != null && auth.permitsMountSource(ex, source, targetScopeName, sourceScopeName) ? source : null;
    }
}
