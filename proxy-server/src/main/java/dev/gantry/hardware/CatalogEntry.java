package dev.gantry.hardware;

import dev.gantry.oci.Digest;
import dev.gantry.registry.Repository;
import dev.gantry.schema.HardwareDocument;
import dev.gantry.schema.ScanInfo;
import java.util.List;

/**
 * One image platform in the hardware catalog: a platform manifest as one
 * repository holds it (directly, or as a platform of {@code index}), the
 * tags pointing at it there (at the index, for a platform of one), and its
 * document without evidence (what a search reads, at a fraction of the memory).
 *
 * @param repository the repository's full name, as access rules and pulls name it
 * @param key the entry's place in the catalog's order, and a page's {@code last} cursor
 */
record CatalogEntry(Repository repo, String repository, String key, Digest digest, Digest index, List<String> tags,
                    HardwareDocument document) {

    CatalogEntry {
        tags = List.copyOf(tags);
    }

    /** Names (full name, key) are worked out once here: a search reads every entry. */
    static CatalogEntry of(Repository repo, Digest digest, Digest index, List<String> tags, HardwareDocument document) {
        String name = repo.fullName();
        return new CatalogEntry(repo, name, key(name, digest, index), digest, index, tags, document);
    }

    static String key(String repository, Digest digest, Digest index) {
        return repository + "@" + digest + (index == null ? "" : "@" + index);
    }

    /** The document without evidence or per-layer detail: what a search reads, a tenth of the memory. */
    static HardwareDocument slim(HardwareDocument doc) {
        ScanInfo s = doc.scan();
        return new HardwareDocument(doc.schemaVersion(), doc.subject(), doc.platform(), doc.passthruDevices(), doc.volumes(),
                doc.devices(), List.of(), new ScanInfo(s.status(), s.time(), s.scanner(), s.knowledgeBase(), List.of(), List.of()));
    }
}
