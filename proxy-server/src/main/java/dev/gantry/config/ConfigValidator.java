package dev.gantry.config;

import dev.gantry.oci.Platform;
import dev.gantry.oci.Reference;
import dev.gantry.oci.RegistryException;
import dev.gantry.oci.RepositoryName;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/** Checks the values that parse but make no sense, naming the key at fault; collects every problem. */
final class ConfigValidator {

    /** A registry host name, optionally with a port: what {@code ns=} and path prefixes carry. */
    private static final Pattern REGISTRY_NAME = Pattern.compile("[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[0-9]{1,5})?");

    private final String source;
    private final List<String> problems = new ArrayList<>();

    private ConfigValidator(String source) {
        this.source = source;
    }

    /** Returns {@code c} when it is usable; otherwise throws one exception listing every problem. */
    static GantryConfig validate(GantryConfig c, String source) {
        ConfigValidator v = new ConfigValidator(source);
        v.check(c);
        if (!v.problems.isEmpty()) {
            throw new ConfigException(v.problems);
        }
        return c;
    }

    private void check(GantryConfig c) {
        checkListen(c.listen(), source);
        Set<String> names = new HashSet<>();
        int defaults = 0;
        for (int i = 0; i < c.upstreams().size(); i++) {
            UpstreamConfig u = c.upstreams().get(i);
            String key = "upstreams[" + i + "]";
            if (u.name() == null || !REGISTRY_NAME.matcher(u.name()).matches()) {
                problems.add(source + ": key '" + key + ".name': expected a registry host name such as "
                        + "docker.io or ghcr.io (lower case, optional :port), got '" + u.name() + "'");
            }
            if (!names.add(u.name())) {
                problems.add(source + ": key '" + key + ".name': upstream '" + u.name() + "' is listed twice");
            }
            checkUrl(u.url(), source, key + ".url");
            if (u.isDefault()) {
                defaults++;
            }
            if (u.password() != null && !u.hasCredentials()) {
                problems.add(source + ": key '" + key + ".password' is set without '" + key + ".username'");
            }
            positive(u.connectTimeout().toMillis(), source, key + ".connectTimeout");
            positive(u.readTimeout().toMillis(), source, key + ".readTimeout");
            if (u.retries() < 0 || u.retries() > 10) {
                problems.add(source + ": key '" + key + ".retries': expected 0 to 10, got " + u.retries());
            }
            positive(u.maxConnections(), source, key + ".maxConnections");
        }
        if (defaults > 1) {
            problems.add(source + ": key 'upstreams': more than one upstream has default: true");
        }
        positive(c.cache().tagTtl().toMillis() + 1, source, "cache.tagTtl");
        positive(c.cache().pins().revalidate().toMillis(), source, "cache.pins.revalidate");
        for (int i = 0; i < c.cache().pins().images().size(); i++) {
            String image = c.cache().pins().images().get(i);
            int colon = image == null ? -1 : image.lastIndexOf(':');
            boolean valid = colon > 0 && image.indexOf('/', colon) < 0 && Reference.isValidTag(image.substring(colon + 1));
            if (valid) {
                try {
                    RepositoryName.of(image.substring(0, colon));
                } catch (RegistryException e) {
                    valid = false;
                }
            }
            if (!valid) {
                problems.add(source + ": key 'cache.pins.images[" + i + "]': expected <name>:<tag> such as library/nginx:1.25, got '"
                        + image + "'");
            }
        }
        positive(c.storage().disk().maxBytes().bytes(), source, "storage.disk.maxBytes");
        if (c.storage().memory().maxBytes().bytes() < 0 || c.storage().memory().maxBlobBytes().bytes() <= 0) {
            problems.add(source + ": key 'storage.memory.maxBlobBytes' must be positive");
        }
        S3Config s3 = c.storage().s3();
        if (s3.endpoint() != null) {
            checkUrl(s3.endpoint(), source, "storage.s3.endpoint");
        }
        if (!s3.enabled() && (s3.endpoint() != null || s3.accessKeyId() != null)) {
            problems.add(source + ": key 'storage.s3.bucket' is required when storage.s3 is configured");
        }
        if ((s3.accessKeyId() == null) != (s3.secretAccessKey() == null)) {
            problems.add(source + ": keys 'storage.s3.accessKeyId' and 'storage.s3.secretAccessKey' go together");
        }
        if (!s3.prefix().isEmpty() && (s3.prefix().startsWith("/") || s3.prefix().contains(".."))) {
            problems.add(source + ": key 'storage.s3.prefix': expected a relative key prefix such as 'mirror/', got '"
                    + s3.prefix() + "'");
        }
        positive(s3.retention().toMillis(), source, "storage.s3.retention");
        positive(s3.sweepInterval().toMillis(), source, "storage.s3.sweepInterval");
        if (c.storage().disk().path().isBlank()) {
            problems.add(source + ": key 'storage.disk.path' is empty");
        }
        for (int i = 0; i < c.prefetch().platforms().size(); i++) {
            String platform = c.prefetch().platforms().get(i);
            try {
                Platform.parse(platform);
            } catch (IllegalArgumentException e) {
                problems.add(source + ": key 'prefetch.platforms[" + i + "]': expected os/arch[/variant] such as linux/arm64, got '"
                        + platform + "'");
            }
        }
        positive(c.prefetch().maxConcurrent(), source, "prefetch.maxConcurrent");
        positive(c.prefetch().maxConcurrentPerUpstream(), source, "prefetch.maxConcurrentPerUpstream");
        positive(c.prefetch().recentWithin().toMillis(), source, "prefetch.recentWithin");
        for (int i = 0; i < c.hosted().size(); i++) {
            String prefix = c.hosted().get(i).prefix();
            String key = "hosted[" + i + "].prefix";
            if (prefix == null || !prefix.endsWith("/") || prefix.length() < 2) {
                problems.add(source + ": key '" + key + "': expected a repository prefix ending in '/', such as 'local/', got '"
                        + prefix + "'");
                continue;
            }
            try {
                RepositoryName.of(prefix.substring(0, prefix.length() - 1));
            } catch (RegistryException e) {
                problems.add(source + ": key '" + key + "': " + e.getMessage());
            }
            String first = prefix.substring(0, prefix.indexOf('/'));
            if (names.contains(first)) {
                problems.add(source + ": key '" + key + "': '" + first + "' is also an upstream's name");
            }
        }
        for (int i = 0; i < c.auth().rules().size(); i++) {
            String prefix = c.auth().rules().get(i).prefix();
            String why = ruleMatchesNothing(prefix, names, c.hosted());
            if (why != null) {
                // A rule that can match no repository grants nothing and guards nothing: what it was meant to
                // guard falls to the defaults (any user pulls). Refused, not ignored.
                problems.add(source + ": key 'auth.rules[" + i + "].prefix': '" + prefix + "' matches no repository: " + why);
            }
            for (String action : c.auth().rules().get(i).actions()) {
                if (!Set.of("pull", "push", "delete", "admin").contains(action)) {
                    problems.add(source + ": key 'auth.rules[" + i + "].actions': expected pull, push, delete or admin, got '" + action + "'");
                }
            }
        }
        // Files named here (htpasswd, certificates) are read at start-up, not now: a configuration
        // rendered for a cluster is validated where those files do not exist.
        if ((c.tls().certFile() == null) != (c.tls().keyFile() == null)) {
            problems.add(source + ": keys 'tls.certFile' and 'tls.keyFile' go together");
        }
        positive(c.hardware().scanThreads(), source, "hardware.scanThreads");
        positive(c.hardware().scanQueue(), source, "hardware.scanQueue");
        fleet(c.fleet(), source);
        if (c.hardware().scanMemory().bytes() < 20L << 20) {
            problems.add(source + ": key 'hardware.scanMemory': at least 20MiB (one scan's buffers and a little)");
        }
        if (c.hardware().scanTimeLimit().isNegative() || c.hardware().scanTimeLimit().isZero()) {
            problems.add(source + ": key 'hardware.scanTimeLimit': must be positive");
        }
        if (c.server().ioThreads() < 0 || c.server().blockingThreads() < 1) {
            problems.add(source + ": keys 'server.ioThreads' (>= 0) and 'server.blockingThreads' (>= 1) are out of range");
        }
        if (c.server().warmUp().isNegative() || c.server().warmUp().compareTo(Duration.ofMinutes(1)) > 0) {
            problems.add(source + ": key 'server.warmUp': expected a duration from 0s (off) to 1m such as 3s, got "
                    + Durations.format(c.server().warmUp()));
        }
        if (c.server().headerTimeout().isNegative() || c.server().headerTimeout().isZero()) {
            problems.add(source + ": key 'server.headerTimeout': expected a positive duration such as 10s, got "
                    + Durations.format(c.server().headerTimeout()));
        }
        if (c.server().idleTimeout().isNegative() || c.server().idleTimeout().isZero()) {
            problems.add(source + ": key 'server.idleTimeout': expected a positive duration such as 120s, got "
                    + Durations.format(c.server().idleTimeout()));
        }
    }

    private void checkListen(String listen, String source) {
        int colon = listen.lastIndexOf(':');
        try {
            int port = Integer.parseInt(listen.substring(colon + 1));
            if (colon < 0 || port < 0 || port > 65535) {
                throw new NumberFormatException();
            }
        } catch (NumberFormatException e) {
            problems.add(source + ": key 'listen': expected host:port such as 127.0.0.1:5000, got '" + listen + "'");
        }
    }

    private void checkUrl(String url, String source, String key) {
        try {
            URI uri = new URI(url);
            if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null
                    || (uri.getPath() != null && !uri.getPath().isEmpty() && !uri.getPath().equals("/"))
                    || uri.getQuery() != null || uri.getUserInfo() != null) {
                throw new URISyntaxException(url, "not an http(s) origin");
            }
        } catch (URISyntaxException | NullPointerException e) {
            problems.add(source + ": key '" + key + "': expected an http:// or https:// URL with a host and "
                    + "no path, query or credentials (put those in username/password), got '"
                    + (url != null && url.contains("@") ? "(a URL with credentials, not shown)" : url) + "'");
        }
    }

    private void fleet(FleetConfig f, String source) {
        positive(f.heartbeat().toMillis(), source, "fleet.heartbeat");
        if (f.poll() != null) {
            positive(f.poll().toMillis(), source, "fleet.poll");
        }
        if (f.memberTtl().compareTo(f.heartbeat().multipliedBy(2)) < 0) {
            problems.add(source + ": key 'fleet.memberTtl': expected at least twice fleet.heartbeat ("
                    + Durations.format(f.heartbeat()) + "), got " + Durations.format(f.memberTtl()));
        }
        if (f.id() != null && !f.id().matches("[A-Za-z0-9][A-Za-z0-9._-]{0,62}")) {
            problems.add(source + ": key 'fleet.id': expected letters, digits, '.', '_' or '-' (at most 63), got '" + f.id() + "'");
        }
        List<String> addresses = new ArrayList<>(f.members());
        if (f.advertise() != null) {
            addresses.add(f.advertise());
        }
        for (String a : addresses) {
            int colon = a.lastIndexOf(':');
            if (colon <= 0 || !a.substring(colon + 1).matches("\\d{1,5}") || !hostOfUrl(a)) {
                problems.add(source + ": key 'fleet." + (f.members().contains(a) ? "members" : "advertise")
                        + "': expected host:port, got '" + a + "'");
            }
        }
    }

    /**
     * Whether {@code host:port} makes a URL with a host: the peer channel's requests are URLs, and a name a
     * URL cannot carry ({@code gantry_1}: underscores are not allowed in host names) would fail every one.
     */
    private static boolean hostOfUrl(String hostPort) {
        try {
            return new URI("http://" + hostPort + "/").getHost() != null;
        } catch (URISyntaxException e) {
            return false;
        }
    }

    /**
     * Why a rule's prefix can match no repository's full name, or null when it can: full names are lowercase and
     * start with an upstream's name and '/' or with a hosted prefix ({@code docker.io/library/alpine},
     * {@code local/team/app}).
     */
    private static String ruleMatchesNothing(String prefix, Set<String> upstreams, List<HostedConfig> hosted) {
        if (prefix == null || prefix.isEmpty()) {
            return null;
        }
        if (!prefix.equals(prefix.toLowerCase(Locale.ROOT))) {
            return "repository names are lowercase";
        }
        for (String u : upstreams) {
            if ((u + "/").startsWith(prefix) || prefix.startsWith(u + "/")) {
                return null;
            }
        }
        for (HostedConfig h : hosted) {
            if (h.prefix() != null && (h.prefix().startsWith(prefix) || prefix.startsWith(h.prefix()))) {
                return null;
            }
        }
        return "a full name starts with an upstream's name or a hosted prefix (docker.io/library/alpine, local/team/)";
    }

    private void positive(long value, String source, String key) {
        if (value <= 0) {
            problems.add(source + ": key '" + key + "' must be positive");
        }
    }
}
