package dev.gantry.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gantry.auth.Authenticator.Caller;
import dev.gantry.oci.ErrorCode;
import dev.gantry.oci.Reference;
import dev.gantry.oci.RegistryException;
import dev.gantry.registry.CacheAdmin;
import dev.gantry.registry.Repository;
import dev.gantry.registry.WarmJobs;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * The admin API under {@code /v2/_gantry/} ({@code cache/…}, {@code pins…},
 * {@code warm…}): what the cache holds, eviction, pins, warming. Every route
 * needs the {@code admin} action (see {@link AuthGate#requireAdmin}); the
 * routes and their JSON are the README's "Operator actions".
 */
final class AdminEndpoints {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_BODY = 16 * 1024;

    /** A parsed {@code <name>:<tag>} or {@code <name>@<digest>}. */
    record Image(String name, Reference reference) {
        /** {@code :<tag>} or {@code @<digest>}. */
        String suffix() {
            return (reference.isDigest() ? "@" : ":") + reference;
        }
    }

    private final CacheAdmin cache;
    private final WarmJobs warm;

    AdminEndpoints(CacheAdmin cache, WarmJobs warm) {
        this.cache = cache;
        this.warm = warm;
    }

    /** Whether a path is one of the admin API's (and so not a repository's route). */
    static boolean isAdminPath(String rawPath) {
        if (!rawPath.startsWith("/v2/_gantry/")) {
            return false;
        }
        String rest = rawPath.substring("/v2/_gantry/".length());
        return rest.startsWith("cache/") || rest.equals("pins") || rest.startsWith("pins/")
                || rest.equals("warm") || rest.startsWith("warm/");
    }

    /**
     * @param path what follows {@code /v2/_gantry/}, raw
     * @param resolve a repository as a request names it
     */
    void route(Exchange ex, String path, AuthGate auth, Function<String, Repository> resolve) {
        HttpMethod method = ex.request().method();
        if (path.equals("cache/repositories")) {
            requireMethod(method, HttpMethod.GET);
            Caller caller = auth.requireAdminCaller(ex);
            Integer n = RegistryEndpoints.pageSize(ex.param("n"));
            answer(ex, cache.repositories(n, ex.param("last"), repo -> auth.administers(ex, caller, repo)).thenApply(page -> {
                FullHttpResponse r = RegistryEndpoints.json(HttpResponseStatus.OK, Map.of("repositories", page.repositories()));
                if (page.next() != null) {
                    r.headers().set("Link", RegistryEndpoints.nextLink(ex, "/v2/_gantry/cache/repositories", n, page.next()));
                }
                return r;
            }));
        } else if (path.startsWith("cache/repositories/") && !method.equals(HttpMethod.DELETE)) {
            requireMethod(method, HttpMethod.GET);
            Repository repo = admin(ex, auth, resolve, path.substring("cache/repositories/".length()));
            answer(ex, cache.repository(repo).thenApply(m -> RegistryEndpoints.json(HttpResponseStatus.OK, m)));
        } else if (path.startsWith("cache/")) {
            requireMethod(method, HttpMethod.DELETE);
            String rest = path.substring("cache/".length());
            int at = rest.lastIndexOf("/manifests/");
            if (at > 0) {
                Repository repo = admin(ex, auth, resolve, rest.substring(0, at));
                Reference ref = Reference.parse(PushEndpoints.decode(rest.substring(at + "/manifests/".length())));
                answer(ex, cache.evictImage(repo, ref).thenApply(m -> RegistryEndpoints.json(HttpResponseStatus.OK, m)));
            } else {
                Repository repo = admin(ex, auth, resolve, rest);
                answer(ex, cache.evictRepository(repo).thenApply(m -> RegistryEndpoints.json(HttpResponseStatus.OK, m)));
            }
        } else if (path.equals("pins") && method.equals(HttpMethod.GET)) {
            Caller caller = auth.requireAdminCaller(ex);
            ex.respond(RegistryEndpoints.json(HttpResponseStatus.OK,
                    Map.of("pins", cache.pins(repo -> auth.administers(ex, caller, repo)))));
        } else if (path.equals("pins") || path.startsWith("pins/")) {
            boolean put = method.equals(HttpMethod.PUT);
            if (!put && !method.equals(HttpMethod.DELETE)) {
                throw new RegistryException(ErrorCode.UNSUPPORTED, "pins answer GET, PUT and DELETE");
            }
            imageOf(ex, path, "pins").thenAccept(image -> pin(ex, auth, resolve, image, put))
                    .exceptionally(e -> {
                        ex.fail(e);
                        return null;
                    });
        } else if (path.equals("warm") && method.equals(HttpMethod.POST)) {
            auth.requireAdminCaller(ex);
            imageOf(ex, path, "warm").thenAccept(image -> {
                Repository repo = admin(ex, auth, resolve, image.name());
                WarmJobs.Job job = warm.start(repo, image.reference(), repo.fullName() + image.suffix());
                FullHttpResponse r = RegistryEndpoints.json(HttpResponseStatus.ACCEPTED, job.json());
                r.headers().set(HttpHeaderNames.LOCATION, "/v2/_gantry/warm/" + job.id());
                ex.respond(r);
            }).exceptionally(e -> {
                ex.fail(e);
                return null;
            });
        } else if (path.equals("warm")) {
            requireMethod(method, HttpMethod.GET);
            auth.requireAdminCaller(ex);
            ex.respond(RegistryEndpoints.json(HttpResponseStatus.OK, Map.of("jobs", warm.all().stream().map(WarmJobs.Job::json).toList())));
        } else if (path.startsWith("warm/")) {
            requireMethod(method, HttpMethod.GET);
            auth.requireAdminCaller(ex);
            WarmJobs.Job job = warm.get(path.substring("warm/".length()));
            if (job == null) {
                throw new RegistryException(ErrorCode.UNSUPPORTED, 404, "no warm job " + printable(path.substring(5))
                        + " (jobs are kept an hour after they end)", Map.of(), null);
            }
            ex.respond(RegistryEndpoints.json(HttpResponseStatus.OK, job.json()));
        } else {
            throw new RegistryException(ErrorCode.UNSUPPORTED, 404, "no such admin endpoint", Map.of(), null);
        }
    }

    private void pin(Exchange ex, AuthGate auth, Function<String, Repository> resolve, Image image, boolean put) {
        if (image.reference().isDigest()) {
            throw new RegistryException(ErrorCode.UNSUPPORTED, 400, "a pin names a tag (<name>:<tag>): a digest never changes", Map.of(), null);
        }
        Repository repo = admin(ex, auth, resolve, image.name());
        String tag = image.reference().tag();
        if (!put) {
            answer(ex, cache.unpin(repo, tag).thenApply(m -> RegistryEndpoints.json(HttpResponseStatus.OK, m)));
            return;
        }
        String user = ex.caller() == null ? null : ex.caller().user();
        answer(ex, cache.pin(repo, tag, user).thenApply(result -> {
            WarmJobs.Job job = cache.revalidate(repo, tag, warm);
            Map<String, Object> body = new LinkedHashMap<>(result.pin());
            body.put("warm", "/v2/_gantry/warm/" + job.id());
            return RegistryEndpoints.json(result.created() ? HttpResponseStatus.CREATED : HttpResponseStatus.OK, body);
        }));
    }

    /** Checks the caller administers the repository a request names, and resolves it. */
    private static Repository admin(Exchange ex, AuthGate auth, Function<String, Repository> resolve, String rawName) {
        auth.requireAdminCaller(ex);
        Repository repo = resolve.apply(PushEndpoints.decode(rawName));
        auth.requireAdmin(ex, repo);
        return repo;
    }

    /** The image in the path ({@code pins/<image>}) or, without one, in the JSON body's {@code image}. */
    private static CompletableFuture<Image> imageOf(Exchange ex, String path, String route) {
        if (path.startsWith(route + "/")) {
            return CompletableFuture.completedFuture(parseImage(PushEndpoints.decode(path.substring(route.length() + 1))));
        }
        return ex.readBodyFully(MAX_BODY).thenApply(body -> {
            JsonNode image;
            try {
                image = JSON.readTree(body).get("image");
            } catch (IOException | RuntimeException e) {
                image = null;
            }
            if (image == null || !image.isTextual()) {
                throw new RegistryException(ErrorCode.UNSUPPORTED, 400, "the body must be JSON: {\"image\":\"<name>:<tag>\"}", Map.of(), null);
            }
            return parseImage(image.asText());
        });
    }

    /** {@code <name>:<tag>} or {@code <name>@<digest>}; the tag or digest is required. */
    static Image parseImage(String text) {
        int at = text.indexOf('@');
        int colon = text.lastIndexOf(':');
        if (at > 0) {
            return new Image(text.substring(0, at), Reference.of(dev.gantry.oci.Digest.parse(text.substring(at + 1))));
        }
        if (colon <= 0 || text.indexOf('/', colon) >= 0 || colon == text.length() - 1) {
            throw new RegistryException(ErrorCode.NAME_INVALID, 400, "expected <name>:<tag> or <name>@<digest>, got '"
                    + printable(text) + "'", Map.of(), null);
        }
        return new Image(text.substring(0, colon), Reference.parse(text.substring(colon + 1)));
    }

    private void answer(Exchange ex, CompletableFuture<FullHttpResponse> work) {
        work.whenComplete((r, e) -> {
            if (e != null) {
                ex.fail(e);
            } else {
                ex.respond(r);
            }
        });
    }

    private static void requireMethod(HttpMethod method, HttpMethod expected) {
        if (!method.equals(expected) && !(expected.equals(HttpMethod.GET) && method.equals(HttpMethod.HEAD))) {
            throw new RegistryException(ErrorCode.UNSUPPORTED, "this endpoint answers " + expected);
        }
    }

    private static String printable(String s) {
        String cut = s.length() > 80 ? s.substring(0, 80) + "…" : s;
        return cut.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
