package dev.gantry.registry;

import dev.gantry.config.HostedConfig;
import dev.gantry.oci.ErrorCode;
import dev.gantry.oci.RegistryException;
import dev.gantry.oci.RepositoryName;
import dev.gantry.upstream.Upstream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Decides which configured upstream a request means. One endpoint serves
 * every upstream:
 * <ul>
 *   <li>{@code ?ns=<registry>} (containerd's {@code hosts.toml} mirrors) selects it by name;</li>
 *   <li>else a first path component naming a configured registry
 *       ({@code /v2/ghcr.io/org/app}, Podman/CRI-O mirror locations) selects it;</li>
 *   <li>else the name goes to the default upstream (Docker's
 *       {@code registry-mirrors}), where Docker Hub's single names become
 *       {@code library/<name>}.</li>
 * </ul>
 * Registry names are looked up, never dialled: an unknown one is an error.
 */
public final class RepositoryResolver {

    private final Map<String, Upstream> byName;
    private final Upstream defaultUpstream;
    private final List<HostedConfig> hosted;

    public RepositoryResolver(List<Upstream> upstreams) {
        this(upstreams, List.of());
    }

    public RepositoryResolver(List<Upstream> upstreams, List<HostedConfig> hosted) {
        this.hosted = List.copyOf(hosted);
        this.byName = new LinkedHashMap<>();
        Upstream def = null;
        for (Upstream u : upstreams) {
            byName.put(u.name(), u);
            if (u.isDefault()) {
                def = u;
            }
        }
        this.defaultUpstream = def;
    }

    /**
     * Resolves a repository name from a request path, with the optional
     * {@code ns} query parameter.
     *
     * @throws RegistryException {@code NAME_INVALID} for a malformed name,
     *     {@code NAME_UNKNOWN} for a registry that is not configured
     */
    public Repository resolve(String pathName, String ns) {
        if (ns != null && !ns.isEmpty()) {
            Upstream u = byName.get(ns);
            if (u == null) {
                throw unknownRegistry(ns);
            }
            return Repository.proxied(pathName, u, normalize(u, RepositoryName.of(pathName)));
        }
        for (HostedConfig h : hosted) {
            if (pathName.startsWith(h.prefix())) {
                return Repository.hosted(pathName, h, RepositoryName.of(pathName));
            }
        }
        int slash = pathName.indexOf('/');
        if (slash > 0) {
            String first = pathName.substring(0, slash);
            Upstream u = byName.get(first);
            if (u != null) {
                checkLength(pathName);
                return Repository.proxied(pathName, u, normalize(u, RepositoryName.of(pathName.substring(slash + 1))));
            }
            if (looksLikeRegistry(first)) {
                checkLength(pathName);
                throw unknownRegistry(first);
            }
        }
        RepositoryName requested = RepositoryName.of(pathName);
        if (defaultUpstream == null) {
            throw new RegistryException(ErrorCode.NAME_UNKNOWN, "no default upstream is configured: name a registry "
                    + "with ?ns=<registry> or a path prefix (configured: " + configured() + ")"
                    + (hosted.isEmpty() ? "" : ", or a hosted namespace (" + hostedPrefixes() + ")"));
        }
        return Repository.proxied(pathName, defaultUpstream, normalize(defaultUpstream, requested));
    }

    private static void checkLength(String pathName) {
        if (pathName.length() > RepositoryName.MAX_LENGTH) {
            RepositoryName.of(pathName);
        }
    }

    /** The hosted prefixes, for messages: {@code local/, team/}. */
    public String hostedPrefixes() {
        return hosted.isEmpty() ? "none is configured" : hosted.stream().map(HostedConfig::prefix).collect(Collectors.joining(", "));
    }

    public List<Upstream> upstreams() {
        return List.copyOf(byName.values());
    }

    private static RepositoryName normalize(Upstream u, RepositoryName name) {
        return u.library() && name.depth() == 1 ? name.withPrefix("library") : name;
    }

    /** Docker's rule: a first component with a dot or port, or {@code localhost}, is a registry host. */
    private static boolean looksLikeRegistry(String component) {
        return component.contains(".") || component.contains(":") || component.equals("localhost");
    }

    private RegistryException unknownRegistry(String name) {
        return new RegistryException(ErrorCode.NAME_UNKNOWN, "registry '" + printable(name)
                + "' is not a configured upstream (configured: " + configured() + ")");
    }

    private String configured() {
        return byName.isEmpty() ? "none" : byName.keySet().stream().collect(Collectors.joining(", "));
    }

    private static String printable(String s) {
        String cut = s.length() > 80 ? s.substring(0, 80) + "…" : s;
        return cut.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
