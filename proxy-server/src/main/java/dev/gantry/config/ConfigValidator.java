package dev.gantry.config;

import dev.gantry.oci.Platform;
import dev.gantry.oci.RegistryException;
import dev.gantry.oci.RepositoryName;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Pattern;

/** Checks the values that parse but make no sense, naming the key at fault. */
final class ConfigValidator {

    /** A registry host name, optionally with a port: what {@code ns=} and path prefixes carry. */
    private static final Pattern REGISTRY_NAME = Pattern.compile("[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[0-9]{1,5})?");

    private ConfigValidator() {
    }

    static GantryConfig validate(GantryConfig c, String source) {
        checkListen(c.listen(), source);
        Set<String> names = new HashSet<>();
        int defaults = 0;
        for (int i = 0; i < c.upstreams().size(); i++) {
            UpstreamConfig u = c.upstreams().get(i);
            String key = "upstreams[" + i + "]";
            if (u.name() == null || !REGISTRY_NAME.matcher(u.name()).matches()) {
                throw new ConfigException(source + ": key '" + key + ".name': expected a registry host name such as "
                        + "docker.io or ghcr.io (lower case, optional :port), got '" + u.name() + "'");
            }
            if (!names.add(u.name())) {
                throw new ConfigException(source + ": key '" + key + ".name': upstream '" + u.name() + "' is listed twice");
            }
            checkUrl(u.url(), source, key + ".url");
            if (u.isDefault()) {
                defaults++;
            }
            if (u.password() != null && !u.hasCredentials()) {
                throw new ConfigException(source + ": key '" + key + ".password' is set without '" + key + ".username'");
            }
            positive(u.connectTimeout().toMillis(), source, key + ".connectTimeout");
            positive(u.readTimeout().toMillis(), source, key + ".readTimeout");
            if (u.retries() < 0 || u.retries() > 10) {
                throw new ConfigException(source + ": key '" + key + ".retries': expected 0 to 10, got " + u.retries());
            }
            positive(u.maxConnections(), source, key + ".maxConnections");
        }
        if (defaults > 1) {
            throw new ConfigException(source + ": key 'upstreams': more than one upstream has default: true");
        }
        positive(c.cache().tagTtl().toMillis() + 1, source, "cache.tagTtl");
        positive(c.storage().disk().maxBytes().bytes(), source, "storage.disk.maxBytes");
        if (c.storage().memory().maxBytes().bytes() < 0 || c.storage().memory().maxBlobBytes().bytes() <= 0) {
            throw new ConfigException(source + ": key 'storage.memory.maxBlobBytes' must be positive");
        }
        S3Config s3 = c.storage().s3();
        if (s3.endpoint() != null) {
            checkUrl(s3.endpoint(), source, "storage.s3.endpoint");
        }
        if (!s3.enabled() && (s3.endpoint() != null || s3.accessKeyId() != null)) {
            throw new ConfigException(source + ": key 'storage.s3.bucket' is required when storage.s3 is configured");
        }
        if ((s3.accessKeyId() == null) != (s3.secretAccessKey() == null)) {
            throw new ConfigException(source + ": keys 'storage.s3.accessKeyId' and 'storage.s3.secretAccessKey' go together");
        }
        if (!s3.prefix().isEmpty() && (s3.prefix().startsWith("/") || s3.prefix().contains(".."))) {
            throw new ConfigException(source + ": key 'storage.s3.prefix': expected a relative key prefix such as 'mirror/', got '"
                    + s3.prefix() + "'");
        }
        positive(s3.retention().toMillis(), source, "storage.s3.retention");
        positive(s3.sweepInterval().toMillis(), source, "storage.s3.sweepInterval");
        if (c.storage().disk().path().isBlank()) {
            throw new ConfigException(source + ": key 'storage.disk.path' is empty");
        }
        for (int i = 0; i < c.prefetch().platforms().size(); i++) {
            String platform = c.prefetch().platforms().get(i);
            try {
                Platform.parse(platform);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(source + ": key 'prefetch.platforms[" + i + "]': expected os/arch[/variant] such as linux/arm64, got '"
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
                throw new ConfigException(source + ": key '" + key + "': expected a repository prefix ending in '/', such as 'local/', got '"
                        + prefix + "'");
            }
            try {
                RepositoryName.of(prefix.substring(0, prefix.length() - 1));
            } catch (RegistryException e) {
                throw new ConfigException(source + ": key '" + key + "': " + e.getMessage());
            }
            String first = prefix.substring(0, prefix.indexOf('/'));
            if (names.contains(first)) {
                throw new ConfigException(source + ": key '" + key + "': '" + first + "' is also an upstream's name");
            }
        }
        for (int i = 0; i < c.auth().rules().size(); i++) {
            for (String action : c.auth().rules().get(i).actions()) {
                if (!Set.of("pull", "push", "delete").contains(action)) {
                    throw new ConfigException(source + ": key 'auth.rules[" + i + "].actions': expected pull, push or delete, got '" + action + "'");
                }
            }
        }
        // Files named here (htpasswd, certificates) are read at start-up, not now: a configuration
        // rendered for a cluster is validated where those files do not exist.
        if ((c.tls().certFile() == null) != (c.tls().keyFile() == null)) {
            throw new ConfigException(source + ": keys 'tls.certFile' and 'tls.keyFile' go together");
        }
        positive(c.hardware().scanThreads(), source, "hardware.scanThreads");
        positive(c.hardware().scanQueue(), source, "hardware.scanQueue");
        if (c.server().ioThreads() < 0 || c.server().blockingThreads() < 1) {
            throw new ConfigException(source + ": keys 'server.ioThreads' (>= 0) and 'server.blockingThreads' (>= 1) are out of range");
        }
        if (c.server().headerTimeout().isNegative() || c.server().headerTimeout().isZero()) {
            throw new ConfigException(source + ": key 'server.headerTimeout': expected a positive duration such as 10s, got "
                    + Durations.format(c.server().headerTimeout()));
        }
        return c;
    }

    private static void checkListen(String listen, String source) {
        int colon = listen.lastIndexOf(':');
        try {
            int port = Integer.parseInt(listen.substring(colon + 1));
            if (colon < 0 || port < 0 || port > 65535) {
                throw new NumberFormatException();
            }
        } catch (NumberFormatException e) {
            throw new ConfigException(source + ": key 'listen': expected host:port such as 127.0.0.1:5000, got '" + listen + "'");
        }
    }

    private static void checkUrl(String url, String source, String key) {
        try {
            URI uri = new URI(url);
            if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null
                    || (uri.getPath() != null && !uri.getPath().isEmpty() && !uri.getPath().equals("/"))
                    || uri.getQuery() != null || uri.getUserInfo() != null) {
                throw new URISyntaxException(url, "not an http(s) origin");
            }
        } catch (URISyntaxException | NullPointerException e) {
            throw new ConfigException(source + ": key '" + key + "': expected an http:// or https:// URL with a host and "
                    + "no path, query or credentials (put those in username/password), got '"
                    + (url != null && url.contains("@") ? "(a URL with credentials, not shown)" : url) + "'");
        }
    }

    private static void positive(long value, String source, String key) {
        if (value <= 0) {
            throw new ConfigException(source + ": key '" + key + "' must be positive");
        }
    }
}
