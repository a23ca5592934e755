package dev.gantry.registry;

import dev.gantry.config.HostedConfig;
import dev.gantry.oci.RepositoryName;
import dev.gantry.upstream.Upstream;
import java.util.Objects;

/**
 * A repository as a request named it, resolved to where its content lives:
 * an upstream (pull-through, read-only) or a hosted namespace (stored here,
 * accepts pushes). The HTTP layer holds it as a handle; only the registry
 * looks inside.
 */
public final class Repository {

    /** Storage namespace of hosted repositories; no upstream can be called this (names are host names). */
    static final String HOSTED_NAMESPACE = "_hosted";

    private final String requestedName;
    private final Upstream upstream;
    private final HostedConfig hosted;
    private final RepositoryName name;
    private final boolean forPeer;

    private Repository(String requestedName, Upstream upstream, HostedConfig hosted, RepositoryName name, boolean forPeer) {
        this.requestedName = Objects.requireNonNull(requestedName, "requestedName");
        this.upstream = upstream;
        this.hosted = hosted;
        this.name = Objects.requireNonNull(name, "name");
        this.forPeer = forPeer;
    }

    private Repository(String requestedName, Upstream upstream, HostedConfig hosted, RepositoryName name) {
        this(requestedName, upstream, hosted, name, false);
    }

    /**
     * This repository as served to another replica of the fleet on the peer
     * channel: this replica is then the owner, and what it does not hold it
     * fetches from the upstream itself, never from a third replica (views of
     * the fleet may differ for a moment; two replicas must never wait on each other).
     */
    public Repository forPeer() {
        return new Repository(requestedName, upstream, hosted, name, true);
    }

    /** Whether a fill for this request may come from the fleet member that owns the content. */
    boolean asksPeers() {
        return !forPeer;
    }

    static Repository proxied(String requestedName, Upstream upstream, RepositoryName name) {
        return new Repository(requestedName, Objects.requireNonNull(upstream, "upstream"), null, name);
    }

    static Repository hosted(String requestedName, HostedConfig hosted, RepositoryName name) {
        return new Repository(requestedName, null, Objects.requireNonNull(hosted, "hosted"), name);
    }

    /** The name as the client wrote it in the path, e.g. {@code docker.io/library/alpine} or {@code alpine}. */
    public String requestedName() {
        return requestedName;
    }

    /** Whether content is stored here and pushes are accepted. */
    public boolean isHosted() {
        return hosted != null;
    }

    /** Storage namespace: the upstream's configured name, or {@link #HOSTED_NAMESPACE}. */
    public String namespace() {
        return hosted != null ? HOSTED_NAMESPACE : upstream.name();
    }

    /** The repository's name where it lives, e.g. {@code library/alpine} at its upstream, or {@code local/app}. */
    public RepositoryName name() {
        return name;
    }

    /**
     * The name access rules and the catalog use: hosted repositories by their
     * own name, proxied ones with their upstream in front
     * ({@code docker.io/library/alpine}).
     */
    public String fullName() {
        return hosted != null ? name.toString() : upstream.name() + "/" + name;
    }

    /** Whether its content may be private: it comes from an upstream Gantry reaches with credentials. */
    public boolean fromPrivateUpstream() {
        return upstream != null && upstream.isPrivate();
    }

    Upstream upstream() {
        return upstream;
    }

    HostedConfig hostedConfig() {
        return hosted;
    }

    @Override
    public String toString() {
        return namespace() + "/" + name;
    }
}
