package dev.gantry.registry;

import dev.gantry.oci.Digest;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * One cached repository as the admin API shows it: its tags (with pins),
 * the manifests they lead to, distinct blob bytes and what of them this
 * replica holds, the last pull. Reads the {@link CacheIndex}: memory only,
 * once the index is loaded.
 */
public final class CacheListing {

    private final BlobTiers tiers;
    private final Pins pins;
    private final CacheIndex index;

    public CacheListing(BlobTiers tiers, Pins pins, CacheIndex index) {
        this.tiers = tiers;
        this.pins = pins;
        this.index = index;
    }

    /** The repository's JSON; null when it holds no tag any more. */
    Map<String, Object> describe(CacheIndex.Repo e, boolean detail) throws IOException {
        Repository repo = e.repo;
        Map<Digest, Long> blobs = new LinkedHashMap<>();
        Map<Digest, ImageParts.Held> held = new LinkedHashMap<>();
        Map<Digest, List<String>> tagsOf = new LinkedHashMap<>();
        List<Map<String, Object>> tagList = new ArrayList<>();
        boolean anyPinned = false;
        for (Map.Entry<String, TagRecord> entry : e.tags.entrySet()) {
            String tag = entry.getKey();
            Optional<TagRecord> record = Optional.of(entry.getValue());
            Digest digest = record.get().parsedDigest();
            ImageParts parts = index.parts(digest);
            blobs.putAll(parts.blobs());
            parts.manifests().forEach(held::putIfAbsent);
            tagsOf.computeIfAbsent(digest, d -> new ArrayList<>()).add(tag);
            Pins.Pin pin = pins.get(repo, tag);
            anyPinned |= pin != null;
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("tag", tag);
            t.put("digest", digest.toString());
            if (detail) {
                t.put("mediaType", record.get().mediaType());
                t.put("checkedAt", CacheAdmin.text(record.get().checkedAt()));
                t.put("changedAt", CacheAdmin.text(record.get().changedAt()));
            }
            t.put("pinned", pin != null);
            if (detail) {
                t.put("pinSource", pin == null ? null : pin.source.name().toLowerCase(Locale.ROOT));
            }
            tagList.add(t);
        }
        if (tagList.isEmpty()) {
            return null;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", repo.fullName());
        m.put("kind", repo.isHosted() ? "hosted" : "mirrored");
        m.put("upstream", repo.isHosted() ? null : repo.namespace());
        if (!detail) {
            m.put("tags", tagList);
            m.put("manifests", held.size());
        }
        m.put("bytes", sum(blobs, false));
        m.put("cachedBytes", sum(blobs, true));
        m.put("lastPull", CacheAdmin.text(e.lastPull));
        m.put("pinned", anyPinned);
        if (detail) {
            m.put("tags", tagList);
            List<Map<String, Object>> ms = new ArrayList<>();
            for (ImageParts.Held h : held.values()) {
                Map<String, Object> one = new LinkedHashMap<>();
                one.put("digest", h.digest().toString());
                one.put("mediaType", h.mediaType());
                one.put("tags", tagsOf.getOrDefault(h.digest(), List.of()));
                one.put("platform", h.platform());
                one.put("index", h.index() == null ? null : h.index().toString());
                one.put("blobs", h.blobs().size());
                one.put("bytes", sum(h.blobs(), false));
                one.put("cachedBytes", sum(h.blobs(), true));
                ms.add(one);
            }
            m.put("manifests", ms);
        }
        return m;
    }

    private long sum(Map<Digest, Long> blobs, boolean cachedOnly) {
        long total = 0;
        for (var b : blobs.entrySet()) {
            if (!cachedOnly || tiers.heldLocally(b.getKey())) {
                total += b.getValue();
            }
        }
        return total;
    }

}
