package dev.gantry.registry;

import dev.gantry.oci.Descriptor;
import dev.gantry.oci.Digest;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Referrers Gantry itself produces for a subject, added to what the
 * repository holds. Asked only about a subject the repository holds (linked
 * to it, or confirmed by its upstream), so what it lists, and links to the
 * repository, follows the subject's access. Must not fail the listing.
 */
@FunctionalInterface
public interface ReferrerContributor {
    CompletableFuture<List<Descriptor>> referrers(Repository repository, Digest subject);
}
