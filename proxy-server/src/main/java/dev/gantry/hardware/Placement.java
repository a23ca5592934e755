package dev.gantry.hardware;

import dev.gantry.oci.Digest;
import dev.gantry.registry.Repository;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** What one repository holds at one top-level digest: an image manifest, or an index and its platforms. */
final class Placement {
    final Repository repo;
    final Digest top;
    /** The index's image manifests; empty for an image manifest. */
    final List<Digest> platforms;
    final Set<String> tags = new TreeSet<>();

    Placement(Repository repo, Digest top, List<Digest> platforms) {
        this.repo = repo;
        this.top = top;
        this.platforms = List.copyOf(platforms);
    }

    List<Digest> manifests() {
        return platforms.isEmpty() ? List.of(top) : platforms;
    }

    Digest index() {
        return platforms.isEmpty() ? null : top;
    }
}
