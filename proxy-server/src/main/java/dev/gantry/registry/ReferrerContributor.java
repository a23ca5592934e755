package dev.gantry.registry;

import dev.gantry.oci.Descriptor;
import dev.gantry.oci.Digest;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Referrers Gantry itself produces for a subject, added to what the repository holds. Must not fail the listing. */
@FunctionalInterface
public interface ReferrerContributor {
    CompletableFuture<List<Descriptor>> referrers(Repository repository, Digest subject);
}
