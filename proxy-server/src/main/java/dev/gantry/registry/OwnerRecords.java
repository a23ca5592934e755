package dev.gantry.registry;

import dev.gantry.oci.Digest;
import dev.gantry.registry.ManifestStore.StoredManifest;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a manifest's fleet owner writes to the bucket behind its answer (the
 * manifest and the repository's links to what it names), which the replica
 * it sent the manifest to keeps locally only: checked once, {@link #CHECK_AFTER}
 * later, and written from this replica if the owner did not (it stopped
 * first), so the bucket never stays without them.
 */
final class OwnerRecords {

    private static final Logger log = LoggerFactory.getLogger(OwnerRecords.class);
    /** How long after a manifest came from its fleet owner this replica checks that the owner recorded it. */
    static final Duration CHECK_AFTER = Duration.ofSeconds(30);

    private final ManifestStore manifests;
    private final RepositoryLinks links;

    OwnerRecords(ManifestStore manifests, RepositoryLinks links) {
        this.manifests = manifests;
        this.links = links;
    }

    /** Checks later that the bucket holds {@code m}; writes it and its links ({@code named}) if not. Never blocks. */
    void checkLater(Repository repo, StoredManifest m, List<Digest> named) {
        manifests.recordIfTheOwnerDidNot(m, CHECK_AFTER).thenAccept(missing -> {
            if (missing) {
                log.info("{}@{} was not in the bucket {} after its fleet owner sent it: recorded from here",
                        repo, m.digest(), CHECK_AFTER);
                try {
                    links.recordShared(repo, named);
                } catch (IOException e) {
                    log.warn("cannot record the links of {}@{}: {}", repo, m.digest(), e.toString());
                }
            }
        }).exceptionally(e -> {
            log.warn("could not check or record that {}@{} is in the bucket: {}", repo, m.digest(), e.toString());
            return null;
        });
    }
}
