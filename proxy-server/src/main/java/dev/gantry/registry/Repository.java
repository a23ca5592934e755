package dev.gantry.registry;

import dev.gantry.oci.RepositoryName;
import dev.gantry.upstream.Upstream;
import java.util.Objects;

/**
 * A repository as a request named it, resolved to where its content comes
 * from. The HTTP layer holds it as an opaque handle; only the registry looks
 * inside.
 */
public final class Repository {

    private final String requestedName;
    private final Upstream upstream;
    private final RepositoryName name;

    Repository(String requestedName, Upstream upstream, RepositoryName name) {
        this.requestedName = Objects.requireNonNull(requestedName, "requestedName");
        this.upstream = Objects.requireNonNull(upstream, "upstream");
        this.name = Objects.requireNonNull(name, "name");
    }

    /** The name as the client wrote it in the path, e.g. {@code docker.io/library/alpine} or {@code alpine}. */
    public String requestedName() {
        return requestedName;
    }

    /** Storage namespace: the upstream's configured name. */
    public String namespace() {
        return upstream.name();
    }

    /** The repository's name at its upstream, e.g. {@code library/alpine}. */
    public RepositoryName name() {
        return name;
    }

    Upstream upstream() {
        return upstream;
    }

    @Override
    public String toString() {
        return upstream.name() + "/" + name;
    }
}
