package dev.gantry.registry;

import dev.gantry.oci.Digest;
import dev.gantry.oci.Reference;
import dev.gantry.oci.RegistryException;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Manifests by tag or digest. Failures are {@link RegistryException}s the client sees as OCI errors. */
public interface ManifestService {

    /**
     * The manifest {@code reference} names, in a media type the client accepts.
     *
     * @param accepted media types from the client's {@code Accept} headers; empty means any
     */
    CompletableFuture<ManifestResult> get(Repository repository, Reference reference, List<String> accepted);

    /**
     * Whether the repository may serve a manifest Gantry holds: it is linked to it (pushed there, or fetched
     * through it), or, mirrored, its upstream confirms with a HEAD (then it is linked). False for a manifest
     * not held here, and when that cannot be told. Never fetches a body; never counts as a pull.
     */
    CompletableFuture<Boolean> holds(Repository repository, Digest digest);

    /**
     * Stores a pushed manifest under a tag or its digest (hosted repositories
     * only), after checking it: media type, JSON, schema version, size, that
     * everything it references is present with the size its descriptor names.
     *
     * @param tags more tags to point at the manifest, all or none (the {@code tag}
     *     query parameters of a push by digest); each must be a valid tag
     * @param contentType the request's {@code Content-Type}
     */
    CompletableFuture<PutResult> put(Repository repository, Reference reference, List<String> tags, String contentType, byte[] body);

    /** Deletes a manifest by digest, or a tag where allowed (hosted repositories only). */
    CompletableFuture<Void> delete(Repository repository, Reference reference);

    /**
     * What a manifest push stored. {@code subject} is the digest of the
     * manifest's subject, or null; {@code tags} the tags the push's {@code tag}
     * parameters created.
     */
    record PutResult(Digest digest, Digest subject, List<String> tags) {
        public PutResult {
            tags = List.copyOf(tags);
        }
    }
}
