package dev.gantry.http;

import dev.gantry.auth.Access;
import dev.gantry.auth.Authenticator;
import dev.gantry.hardware.HardwareCatalog;
import dev.gantry.hardware.HostProfile;
import dev.gantry.hardware.SearchQuery;
import dev.gantry.oci.ErrorCode;
import dev.gantry.oci.RegistryException;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * {@code GET /v2/_gantry/search}: images by the hardware they need, filters
 * combined with AND, paged like the tags list ({@code n}, {@code last}, a
 * {@code Link} header to the next page). {@code POST} with a host profile
 * keeps only images that run on that host. Lists only what the caller may
 * pull: the same decision as a pull of each repository, made per repository.
 */
final class SearchEndpoint {

    static final int DEFAULT_PAGE = 100;
    static final int MAX_PAGE = 1000;
    private static final int MAX_PROFILE_BYTES = 256 * 1024;

    private final HardwareCatalog catalog;
    private final AuthGate auth;

    SearchEndpoint(HardwareCatalog catalog, AuthGate auth) {
        this.catalog = catalog;
        this.auth = auth;
    }

    /** GET, HEAD or POST (the methods are the {@link RouteTable}'s). */
    void search(Exchange ex) {
        boolean post = ex.request().method().equals(HttpMethod.POST);
        for (String name : ex.paramNames()) {
            if (!SearchQuery.PARAMETERS.contains(name) && !name.equals("n") && !name.equals("last")) {
                throw badRequest("unknown search parameter '" + printable(name) + "'; known: " + SearchQuery.PARAMETERS + ", n, last");
            }
        }
        SearchQuery query;
        try {
            query = SearchQuery.parse(ex::params);
        } catch (IllegalArgumentException e) {
            throw badRequest(e.getMessage());
        }
        int n = pageSize(ex.param("n"));
        String last = ex.param("last");
        Authenticator.Caller caller = auth.caller(ex);
        CompletableFuture<HostProfile> host = post
                ? ex.readBodyFully(MAX_PROFILE_BYTES).thenApply(HardwareEndpoints::hostProfile)
                : CompletableFuture.completedFuture(null);
        host.thenCompose(h -> catalog.find(query, repo -> auth.permits(caller, repo, Access.PULL), h, n, last))
                .whenComplete((page, e) -> {
                    if (e != null) {
                        ex.fail(e);
                        return;
                    }
                    Map<String, Object> body = new LinkedHashMap<>();
                    body.put("results", page.results());
                    body.put("total", page.total());
                    FullHttpResponse r = Responses.json(HttpResponseStatus.OK, body);
                    if (page.next() != null) {
                        r.headers().set("Link", nextLink(ex, n, page.next()));
                    }
                    ex.respond(r);
                });
    }

    /** The same search from the result after {@code next}: every filter again, {@code n}, and the cursor. */
    private static String nextLink(Exchange ex, int n, String next) {
        StringBuilder link = new StringBuilder("</v2/_gantry/search?");
        for (String name : SearchQuery.PARAMETERS) {
            for (String v : ex.params(name)) {
                link.append(name).append('=').append(URLEncoder.encode(v, StandardCharsets.UTF_8)).append('&');
            }
        }
        link.append("n=").append(n).append("&last=").append(URLEncoder.encode(next, StandardCharsets.UTF_8));
        return link.append(">; rel=\"next\"").toString();
    }

    private static int pageSize(String n) {
        if (n == null) {
            return DEFAULT_PAGE;
        }
        try {
            int v = Integer.parseInt(n);
            if (v < 1) {
                throw new NumberFormatException();
            }
            return Math.min(v, MAX_PAGE);
        } catch (NumberFormatException e) {
            throw badRequest("n must be a positive integer (at most " + MAX_PAGE + " results a page)");
        }
    }

    private static RegistryException badRequest(String message) {
        return new RegistryException(ErrorCode.UNSUPPORTED, 400, message, Map.of(), null);
    }

    private static String printable(String s) {
        String t = s.length() > 64 ? s.substring(0, 64) + "…" : s;
        return t.replaceAll("\\p{Cntrl}", "?");
    }
}
