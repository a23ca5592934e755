package dev.gantry.registry;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gantry.oci.Digest;
import dev.gantry.oci.RegistryException;
import dev.gantry.oci.RepositoryName;
import dev.gantry.storage.DiskBlobStore;
import dev.gantry.storage.MetadataStore;
import dev.gantry.storage.SeedJournal;
import dev.gantry.storage.StorageLayout;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What a {@link HostedSeed} offers the bucket, listed from this replica's
 * disk, in the order it is written: the blobs and manifests hosted
 * repositories link to, then the links, then referrer entries, catalog
 * markers and the pins made through the admin API, then tags. Records an earlier attempt settled are left out. Also
 * reads the keys: which link a record needs in the bucket before it may be
 * written there.
 */
final class SeedPlan {

    static final String HOSTED = "repositories/" + Repository.HOSTED_NAMESPACE + "/";
    private static final String CATALOG = "catalog/";
    private static final ObjectMapper JSON = new ObjectMapper();

    final List<Digest> blobs = new ArrayList<>();
    final List<Digest> manifests = new ArrayList<>();
    final List<String> links = new ArrayList<>();
    final List<String> records = new ArrayList<>();
    final List<String> tags = new ArrayList<>();

    private SeedPlan() {
    }

    /** Reads the local disk only. */
    static SeedPlan list(MetadataStore local, DiskBlobStore disk, SeedJournal journal) throws IOException {
        SeedPlan plan = new SeedPlan();
        Set<Digest> linked = new LinkedHashSet<>();
        for (String rel : local.listRecursive(HOSTED)) {
            String key = HOSTED + rel;
            if (journal.settled(key)) {
                continue;
            }
            if (rel.contains("/_links/")) {
                plan.links.add(key);
                linked(key).ifPresent(linked::add);
            } else if (rel.contains("/_tags/")) {
                plan.tags.add(key);
            } else if (rel.contains("/_referrers/")) {
                plan.records.add(key);
            }
        }
        for (String rel : local.listRecursive(CATALOG)) {
            if (!journal.settled(CATALOG + rel)) {
                plan.records.add(CATALOG + rel);
            }
        }
        // Pins made through the admin API: the operator's, not a cache, and they need nothing else in the bucket.
        for (String rel : local.listRecursive(StorageLayout.PINS_PREFIX)) {
            if (!journal.settled(StorageLayout.PINS_PREFIX + rel)) {
                plan.records.add(StorageLayout.PINS_PREFIX + rel);
            }
        }
        // A linked digest is a manifest (a record here) or a blob (a file here); one that is neither has nothing to copy.
        for (Digest d : linked) {
            if (local.exists(StorageLayout.manifestKey(d))) {
                plan.manifests.add(d);
            } else if (disk.statNow(d).isPresent()) {
                plan.blobs.add(d);
            }
        }
        return plan;
    }

    /** The records owed to the bucket: links, referrer entries, catalog markers and pins, tags. */
    List<String> records() {
        List<String> all = new ArrayList<>(links);
        all.addAll(records);
        all.addAll(tags);
        return all;
    }

    int size() {
        return blobs.size() + manifests.size() + links.size() + records.size() + tags.size();
    }

    /** The digest a link key names. */
    static Optional<Digest> linked(String key) {
        int at = key.indexOf("/_links/");
        return parse(key.substring(at + "/_links/".length()).replace('/', ':'));
    }

    /**
     * The link a referrer entry needs in the bucket: the referring manifest's,
     * in the same repository. None for a catalog marker or a pin, which need none.
     */
    static Optional<String> neededBy(String recordKey) {
        int at = recordKey.indexOf("/_referrers/");
        if (!recordKey.startsWith(HOSTED) || at < 0) {
            return Optional.empty();
        }
        String repo = recordKey.substring(HOSTED.length(), at);
        return parse(recordKey.substring(recordKey.lastIndexOf('/') + 1)).flatMap(d -> linkKey(repo, d));
    }

    /** The link a tag needs in the bucket: the tagged manifest's, in the same repository; none for an unreadable record. */
    static Optional<String> taggedBy(String tagKey, byte[] record) {
        int at = tagKey.indexOf("/_tags/");
        String repo = tagKey.substring(HOSTED.length(), at);
        try {
            return parse(JSON.readTree(record).path("digest").asText()).flatMap(d -> linkKey(repo, d));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static Optional<String> linkKey(String repo, Digest d) {
        try {
            return Optional.of(StorageLayout.linkKey(Repository.HOSTED_NAMESPACE, RepositoryName.of(repo), d));
        } catch (RegistryException e) {
            return Optional.empty();
        }
    }

    private static Optional<Digest> parse(String digest) {
        try {
            return Optional.of(Digest.parse(digest));
        } catch (RegistryException e) {
            return Optional.empty();
        }
    }
}
