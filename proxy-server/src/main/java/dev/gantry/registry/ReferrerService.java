package dev.gantry.registry;

import dev.gantry.oci.Digest;
import java.util.concurrent.CompletableFuture;

/** The OCI 1.1 referrers API: manifests whose {@code subject} is a given manifest. */
public interface ReferrerService {

    /**
     * An image index of the referrers of {@code subject} (empty, never a 404).
     *
     * @param artifactType keep only referrers of this artifact type, or null
     */
    CompletableFuture<Referrers> list(Repository repository, Digest subject, String artifactType);

    /** The index to send, and whether the artifactType filter was applied. */
    record Referrers(byte[] index, boolean filtered) {
    }
}
