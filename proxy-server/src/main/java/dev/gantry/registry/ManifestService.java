package dev.gantry.registry;

import dev.gantry.oci.Reference;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Manifests by tag or digest. */
public interface ManifestService {

    /**
     * The manifest {@code reference} names, in a media type the client
     * accepts. Fails with a {@link dev.gantry.oci.RegistryException} for
     * anything the client should see as an OCI error.
     *
     * @param accepted media types from the client's {@code Accept} headers; empty means any
     */
    CompletableFuture<ManifestResult> get(Repository repository, Reference reference, List<String> accepted);
}
