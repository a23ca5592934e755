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
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The admin API under {@code /v2/_gantry/} ({@code cache/…}, {@code pins…},
 * {@code warm…}): what the cache holds, eviction, pins, warming. Every route
 * needs the {@code admin} action, which {@link RouteGuard} checks before
 * these run; each repository a request names is checked again here
 * ({@link AuthGate#requireAdmin}). The routes and their JSON are the
 * README's "Operator actions".
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
    private final AuthGate auth;
    private final RegistryEndpoints endpoints;

    AdminEndpoints(CacheAdmin cache, WarmJobs warm, AuthGate auth, RegistryEndpoints endpoints) {
        this.cache = cache;
        this.warm = warm;
        this.auth = auth;
        this.endpoints = endpoints;
    }

    /** {@code GET cache/repositories}: the repositories the cache holds that the caller administers, paged. */
    void repositories(Exchange ex) {
        Caller caller = auth.caller(ex);
        Integer n = Pagination.pageSize(ex.param("n"));
        answer(ex, cache.repositories(n, ex.param("last"), repo -> auth.administers(ex, caller, repo)).thenApply(page -> {
            FullHttpResponse r = Responses.json(HttpResponseStatus.OK, Map.of("repositories", page.repositories()));
            if (page.next() != null) {
                r.headers().set("Link", Pagination.nextLink(ex, "/v2/_gantry/cache/repositories", n, page.next()));
            }
            return r;
        }));
    }

    /** {@code GET cache/repositories/<name>}; {@code path} is what follows {@code /v2/_gantry/}, raw. */
    void repository(Exchange ex, String path) {
        Repository repo = admin(ex, path.substring("cache/repositories/".length()));
        answer(ex, cache.repository(repo).thenApply(m -> Responses.json(HttpResponseStatus.OK, m)));
    }

    /** {@code DELETE cache/<name>[/manifests/<reference>]}: evicts a repository or one image. */
    void evict(Exchange ex, String path) {
        String rest = path.substring("cache/".length());
        int at = rest.lastIndexOf("/manifests/");
        if (at > 0) {
            Repository repo = admin(ex, rest.substring(0, at));
            Reference ref = Reference.parse(Responses.decode(rest.substring(at + "/manifests/".length())));
            answer(ex, cache.evictImage(repo, ref).thenApply(m -> Responses.json(HttpResponseStatus.OK, m)));
        } else {
            Repository repo = admin(ex, rest);
            answer(ex, cache.evictRepository(repo).thenApply(m -> Responses.json(HttpResponseStatus.OK, m)));
        }
    }

    /** {@code GET pins}: the pins in repositories the caller administers. */
    void pins(Exchange ex) {
        Caller caller = auth.caller(ex);
        ex.respond(Responses.json(HttpResponseStatus.OK, Map.of("pins", cache.pins(repo -> auth.administers(ex, caller, repo)))));
    }

    /** {@code PUT} or {@code DELETE} {@code pins[/<image>]} (the image in the path or the body). */
    void pin(Exchange ex, String path, boolean put) {
        imageOf(ex, path, "pins").thenAccept(image -> pin(ex, image, put))
                .exceptionally(e -> {
                    ex.fail(e);
                    return null;
                });
    }

    /** {@code POST warm} with {@code {"image": ...}}: starts a warm job (202, its URL in Location). */
    void warm(Exchange ex) {
        imageOf(ex, "warm", "warm").thenAccept(image -> {
            Repository repo = admin(ex, image.name());
            WarmJobs.Job job = warm.start(repo, image.reference(), repo.fullName() + image.suffix());
            FullHttpResponse r = Responses.json(HttpResponseStatus.ACCEPTED, job.json());
            r.headers().set(HttpHeaderNames.LOCATION, "/v2/_gantry/warm/" + job.id());
            ex.respond(r);
        }).exceptionally(e -> {
            ex.fail(e);
            return null;
        });
    }

    /**
     * {@code GET warm}: the warm jobs kept for repositories the caller administers (a job names an image, and
     * the scheduled ones warm pins of private upstreams too).
     */
    void jobs(Exchange ex) {
        Caller caller = auth.caller(ex);
        ex.respond(Responses.json(HttpResponseStatus.OK, Map.of("jobs", warm.all().stream()
                .filter(j -> auth.administers(ex, caller, j.repository())).map(WarmJobs.Job::json).toList())));
    }

    /** {@code GET warm/<id>}: 404 as for no job when the caller does not administer its repository. */
    void job(Exchange ex, String path) {
        WarmJobs.Job job = warm.get(path.substring("warm/".length()));
        if (job == null || !auth.administers(ex, auth.caller(ex), job.repository())) {
            throw new RegistryException(ErrorCode.UNSUPPORTED, 404, "no warm job " + printable(path.substring(5))
                    + " (jobs are kept an hour after they end)", Map.of(), null);
        }
        ex.respond(Responses.json(HttpResponseStatus.OK, job.json()));
    }

    private void pin(Exchange ex, Image image, boolean put) {
        if (image.reference().isDigest()) {
            throw new RegistryException(ErrorCode.UNSUPPORTED, 400, "a pin names a tag (<name>:<tag>): a digest never changes", Map.of(), null);
        }
        Repository repo = admin(ex, image.name());
        String tag = image.reference().tag();
        if (!put) {
            answer(ex, cache.unpin(repo, tag).thenApply(m -> Responses.json(HttpResponseStatus.OK, m)));
            return;
        }
        String user = ex.caller() == null ? null : ex.caller().user();
        answer(ex, cache.pin(repo, tag, user).thenApply(result -> {
            WarmJobs.Job job = cache.revalidate(repo, tag, warm);
            Map<String, Object> body = new LinkedHashMap<>(result.pin());
            body.put("warm", "/v2/_gantry/warm/" + job.id());
            return Responses.json(result.created() ? HttpResponseStatus.CREATED : HttpResponseStatus.OK, body);
        }));
    }

    /** Checks the caller administers the repository a request names, and resolves it. */
    private Repository admin(Exchange ex, String rawName) {
        Repository repo = endpoints.resolve(ex, Responses.decode(rawName));
        auth.requireAdmin(ex, repo);
        return repo;
    }

    /** The image in the path ({@code pins/<image>}) or, without one, in the JSON body's {@code image}. */
    private static CompletableFuture<Image> imageOf(Exchange ex, String path, String route) {
        if (path.startsWith(route + "/")) {
            return CompletableFuture.completedFuture(parseImage(Responses.decode(path.substring(route.length() + 1))));
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

    private static String printable(String s) {
        String cut = s.length() > 80 ? s.substring(0, 80) + "…" : s;
        return cut.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
