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

    /**
     * What a path names: one row of kinds in the {@link RouteTable}. Kinds
     * that share a metrics label (the hardware extension's endpoints, the
     * admin API's) are told apart here so that each has its own methods and
     * access requirement in the table.
     */
    enum Kind {
        HEALTH, READY, METRICS, STATUS, SEARCH, TOKEN, DISCOVER, BASE, CATALOG, MANIFEST, BLOB,
        /** {@code /blobs/uploads/}: starts an upload (or a mount). */
        BLOB_UPLOAD,
        /** {@code /blobs/uploads/<id>}: one upload session. */
        UPLOAD_SESSION("blob_upload"),
        TAGS, REFERRERS,
        /** {@code /v2/<name>/_<ext>} that names no endpoint Gantry offers. */
        EXTENSION,
        /** {@code /v2/<name>/_oci/ext/discover}. */
        EXTENSION_DISCOVER("extension"),
        HARDWARE("extension"), AUGMENTED_MANIFEST("extension"), HARDWARE_CHECK("extension"),
        /** {@code /v2/_gantry/cache/repositories}. */
        ADMIN_REPOSITORIES("admin"),
        /** {@code /v2/_gantry/cache/repositories/<name>} (a DELETE evicts a repository named {@code repositories/<name>}). */
        ADMIN_REPOSITORY("admin"),
        /** {@code /v2/_gantry/cache/<name>[/manifests/<reference>]}: eviction. */
        ADMIN_CACHE("admin"),
        ADMIN_PINS("admin"), ADMIN_PIN("admin"), ADMIN_WARM("admin"), ADMIN_WARM_JOB("admin"),
        /** {@code /v2/_gantry/fleet/<name>/blobs/<digest>}: a blob for another replica of the fleet (the peer channel). */
        PEER_BLOB("fleet"),
        /** {@code /v2/_gantry/fleet/<name>/manifests/<reference>}: a manifest for another replica of the fleet. */
        PEER_MANIFEST("fleet"),
        /** {@code POST /v2/_gantry/fleet/news}: another replica's news (its rate-limit readings). */
        PEER_NEWS("fleet"),
        ROOT, CONSOLE, UNKNOWN;

        private final String label;

        Kind() {
            this.label = name().toLowerCase(Locale.ROOT);
        }

        Kind(String label) {
            this.label = label;
        }

        /** The kind's name in metrics: a small fixed set, never anything from the request. */
        String label() {
            return label;
        }

        /** Whether the kind is part of the admin API (every method needs the {@code admin} action). */
        boolean admin() {
            return label.equals("admin");
        }
    }

    private static final Pattern BLOB_UPLOAD = Pattern.compile("^/v2/(.+)/blobs/uploads/?([^/]*)$");
    private static final Pattern TAGS = Pattern.compile("^/v2/(.+)/tags/list$");
    private static final Pattern REFERRERS = Pattern.compile("^/v2/(.+)/referrers/([^/]+)$");
    /** Repository components never start with {@code _}: the first {@code /_} starts an extension. */
    private static final Pattern EXTENSION = Pattern.compile("^/v2/(.+?)/_([a-z]+/.*)$");

    /** The route's name in metrics: a small fixed set, never anything from the request. */
    String label() {
        return kind.label();
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
        if (rawPath.equals("/v2/_gantry/fleet/news")) {
            return new Route(Kind.PEER_NEWS, null, null);
        }
        if (rawPath.startsWith("/v2/_gantry/fleet/")) {
            return peer(parse("/v2/" + rawPath.substring("/v2/_gantry/fleet/".length())));
        }
        if (rawPath.startsWith("/v2/_gantry/")) {
            Kind admin = adminKind(rawPath.substring("/v2/_gantry/".length()));
            if (admin != null) {
                return new Route(admin, null, rawPath.substring("/v2/_gantry/".length()));
            }
        }
        // Each pattern needs its literal in the path; checking for it first spares a blob or
        // manifest request the backtracking of the patterns that cannot match (the hot path).
        Matcher m;
        // Extensions first: /v2/<name>/_gantry/hardware/<ref> must not read as a manifest route.
        if (rawPath.contains("/_") && (m = EXTENSION.matcher(rawPath)).matches()) {
            return extension(m.group(1), m.group(2));
        }
        if (rawPath.contains("/blobs/uploads") && (m = BLOB_UPLOAD.matcher(rawPath)).matches()) {
            return new Route(m.group(2).isEmpty() ? Kind.BLOB_UPLOAD : Kind.UPLOAD_SESSION, m.group(1), m.group(2));
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

    /** The peer channel's route for what follows {@code /v2/_gantry/fleet/}: a blob or manifest route, nothing else. */
    private static Route peer(Route inner) {
        return switch (inner.kind()) {
            case BLOB -> new Route(Kind.PEER_BLOB, inner.name(), inner.reference());
            case MANIFEST -> new Route(Kind.PEER_MANIFEST, inner.name(), inner.reference());
            default -> new Route(Kind.UNKNOWN, null, null);
        };
    }

    /**
     * The admin API's kind for what follows {@code /v2/_gantry/}, or null
     * when it is none of the admin API's paths (and so maybe a repository's).
     */
    private static Kind adminKind(String rest) {
        if (rest.equals("cache/repositories")) {
            return Kind.ADMIN_REPOSITORIES;
        }
        if (rest.startsWith("cache/repositories/")) {
            return Kind.ADMIN_REPOSITORY;
        }
        if (rest.startsWith("cache/")) {
            return Kind.ADMIN_CACHE;
        }
        if (rest.equals("pins")) {
            return Kind.ADMIN_PINS;
        }
        if (rest.startsWith("pins/")) {
            return Kind.ADMIN_PIN;
        }
        if (rest.equals("warm")) {
            return Kind.ADMIN_WARM;
        }
        return rest.startsWith("warm/") ? Kind.ADMIN_WARM_JOB : null;
    }

    /**
     * {@code /v2/<name>/_<extension>}: {@code _oci/ext/discover}, or
     * {@code _gantry/<endpoint>/<reference>} with the reference (raw) as the
     * route's reference; anything else is {@link Kind#EXTENSION}, which names
     * no endpoint.
     */
    private static Route extension(String name, String extension) {
        if (extension.equals("oci/ext/discover")) {
            return new Route(Kind.EXTENSION_DISCOVER, name, null);
        }
        int slash = extension.indexOf('/', "gantry/".length());
        if (!extension.startsWith("gantry/") || slash < 0) {
            return new Route(Kind.EXTENSION, name, null);
        }
        Kind kind = switch (extension.substring("gantry/".length(), slash)) {
            case "hardware" -> Kind.HARDWARE;
            case "manifests" -> Kind.AUGMENTED_MANIFEST;
            case "check" -> Kind.HARDWARE_CHECK;
            default -> Kind.EXTENSION;
        };
        return new Route(kind, name, kind == Kind.EXTENSION ? null : extension.substring(slash + 1));
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
