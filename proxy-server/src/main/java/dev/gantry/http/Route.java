package dev.gantry.http;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a request path leads. Parsing works on the raw (undecoded) path, so a
 * percent-encoded character in a repository name is seen as what it is and
 * rejected by name validation, never decoded into {@code ..}.
 *
 * @param name the repository name part, raw, or null
 * @param reference the tag, digest or upload id part, raw, or null
 */
record Route(Kind kind, String name, String reference) {

    enum Kind {
        HEALTH, READY, METRICS, STATUS, SEARCH, TOKEN, DISCOVER, BASE, CATALOG, MANIFEST, BLOB, BLOB_UPLOAD, TAGS, REFERRERS, EXTENSION, ADMIN,
        ROOT, CONSOLE, UNKNOWN
    }

    private static final Pattern BLOB_UPLOAD = Pattern.compile("^/v2/(.+)/blobs/uploads/?([^/]*)$");
    private static final Pattern TAGS = Pattern.compile("^/v2/(.+)/tags/list$");
    private static final Pattern REFERRERS = Pattern.compile("^/v2/(.+)/referrers/([^/]+)$");
    /** Repository components never start with {@code _}: the first {@code /_} starts an extension. */
    private static final Pattern EXTENSION = Pattern.compile("^/v2/(.+?)/_([a-z]+/.*)$");

    /** The route's name in metrics: a small fixed set, never anything from the request. */
    String label() {
        return kind.name().toLowerCase(Locale.ROOT);
    }

    static Route parse(String rawPath) {
        switch (rawPath) {
            case "/healthz":
                return new Route(Kind.HEALTH, null, null);
            case "/readyz":
                return new Route(Kind.READY, null, null);
            case "/metrics":
                return new Route(Kind.METRICS, null, null);
            case "/token":
                return new Route(Kind.TOKEN, null, null);
            case "/v2/_gantry/status":
                return new Route(Kind.STATUS, null, null);
            case "/v2/_gantry/search":
                return new Route(Kind.SEARCH, null, null);
            case "/v2/_oci/ext/discover":
                return new Route(Kind.DISCOVER, null, null);
            case "/v2", "/v2/":
                return new Route(Kind.BASE, null, null);
            case "/v2/_catalog":
                return new Route(Kind.CATALOG, null, null);
            case "/":
                return new Route(Kind.ROOT, null, null);
            case "/ui":
                return new Route(Kind.CONSOLE, null, null);
            default:
                break;
        }
        if (rawPath.startsWith("/ui/")) {
            return new Route(Kind.CONSOLE, null, rawPath.substring("/ui/".length()));
        }
        if (!rawPath.startsWith("/v2/")) {
            return new Route(Kind.UNKNOWN, null, null);
        }
        if (AdminEndpoints.isAdminPath(rawPath)) {
            return new Route(Kind.ADMIN, null, rawPath.substring("/v2/_gantry/".length()));
        }
        // Each pattern needs its literal in the path; checking for it first spares a blob or
        // manifest request the backtracking of the patterns that cannot match (the hot path).
        Matcher m;
        // Extensions first: /v2/<name>/_gantry/hardware/<ref> must not read as a manifest route.
        if (rawPath.contains("/_") && (m = EXTENSION.matcher(rawPath)).matches()) {
            return new Route(Kind.EXTENSION, m.group(1), m.group(2));
        }
        if (rawPath.contains("/blobs/uploads") && (m = BLOB_UPLOAD.matcher(rawPath)).matches()) {
            return new Route(Kind.BLOB_UPLOAD, m.group(1), m.group(2));
        }
        Route r;
        if ((r = lastSegment(rawPath, "/manifests/", Kind.MANIFEST)) != null) {
            return r;
        }
        if ((r = lastSegment(rawPath, "/blobs/", Kind.BLOB)) != null) {
            return r;
        }
        if (rawPath.endsWith("/tags/list") && (m = TAGS.matcher(rawPath)).matches()) {
            return new Route(Kind.TAGS, m.group(1), null);
        }
        if (rawPath.contains("/referrers/") && (m = REFERRERS.matcher(rawPath)).matches()) {
            return new Route(Kind.REFERRERS, m.group(1), m.group(2));
        }
        return new Route(Kind.UNKNOWN, null, null);
    }

    /**
     * {@code /v2/<name><infix><reference>}, what {@code ^/v2/(.+)<infix>([^/]+)$}
     * matches, without a regular expression: manifests and blobs are the hot
     * routes. The last {@code infix} splits, as the greedy group would.
     */
    private static Route lastSegment(String rawPath, String infix, Kind kind) {
        int at = rawPath.lastIndexOf(infix);
        if (at <= 4 || at + infix.length() == rawPath.length() || rawPath.indexOf('/', at + infix.length()) >= 0) {
            return null;
        }
        String name = rawPath.substring(4, at);
        String reference = rawPath.substring(at + infix.length());
        if (hasLineBreak(name) || hasLineBreak(reference)) {
            return null; // "." never matched one
        }
        return new Route(kind, name, reference);
    }

    private static boolean hasLineBreak(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\n' || c == '\r' || c == '\u0085' || c == '\u2028' || c == '\u2029') {
                return true;
            }
        }
        return false;
    }
}
