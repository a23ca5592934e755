package dev.gantry.hardware;

import dev.gantry.oci.Digest;
import dev.gantry.registry.Repository;
import dev.gantry.schema.HardwareDocument;
import java.util.List;

/**
 * One image platform in the hardware catalog: a platform manifest as one
 * repository holds it (directly, or as a platform of {@code index}), the
 * tags pointing at it there (at the index, for a platform of one), and its
 * document without evidence (what a search reads, at a fraction of the memory).
 */
record CatalogEntry(Repository repo, Digest digest, Digest index, List<String> tags, HardwareDocument document) {

    CatalogEntry {
        tags = List.copyOf(tags);
    }

    /** The repository's full name, as access rules and pulls name it. */
    String repository() {
        return repo.fullName();
    }

    /** The entry's place in the catalog's order, and a page's {@code last} cursor. */
    String key() {
        return key(repo.fullName(), digest, index);
    }

    static String key(String repository, Digest digest, Digest index) {
        return repository + "@" + digest + (index == null ? "" : "@" + index);
    }
}
