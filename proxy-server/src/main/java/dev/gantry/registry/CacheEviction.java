package dev.gantry.registry;

import dev.gantry.oci.Digest;
import dev.gantry.oci.ErrorCode;
import dev.gantry.oci.Reference;
import dev.gantry.oci.RegistryException;
import dev.gantry.storage.MetadataStore;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Evicting images from the cache on an operator's word: the tags, the
 * manifests (an index with its platform manifests) and the blobs, from
 * every tier, except what another cached image (in any repository) or a
 * hosted repository still needs. A pinned tag refuses; a digest a pinned
 * image holds stays. One eviction runs at a time; each blocks while it works.
 *
 * <p>Which digests hosted repositories hold is read from the shared bucket,
 * where there is one, at each eviction: another replica may have linked a
 * pushed copy of the very image being evicted since this one started, and
 * for pushed content the bucket's copy may be the only one there is. When
 * the bucket cannot be read, nothing is evicted. Observers hear of each tag and manifest
 * the repository no longer holds, as they do of a hosted delete: work still
 * following the image (its hardware analysis) stops, instead of fetching back
 * from upstream what the operator just evicted.
 */
public final class CacheEviction {

    private static final Logger log = LoggerFactory.getLogger(CacheEviction.class);

    private final ManifestStore manifests;
    private final TagStore tags;
    private final RepositoryLinks links;
    private final BlobTiers tiers;
    private final Pins pins;
    private final CacheIndex index;
    /** The shared bucket's metadata, or null without one. */
    private final MetadataStore shared;
    private final List<ManifestObserver> observers = new CopyOnWriteArrayList<>();

    /** @param shared the shared bucket's metadata store (not the tiered one), or null without a bucket */
    public CacheEviction(ManifestStore manifests, TagStore tags, RepositoryLinks links, BlobTiers tiers, Pins pins, CacheIndex index,
                         MetadataStore shared) {
        this.shared = shared;
        this.manifests = manifests;
        this.tags = tags;
        this.links = links;
        this.tiers = tiers;
        this.pins = pins;
        this.index = index;
    }

    /** {@code observer} hears of what each eviction takes out of a repository. */
    void observe(ManifestObserver observer) {
        observers.add(observer);
    }

    synchronized Map<String, Object> image(Repository repo, Reference reference) throws IOException {
        refuseHosted(repo);
        List<String> drop = new ArrayList<>();
        Digest root;
        if (reference.isDigest()) {
            root = reference.digest();
            for (String tag : tagsOf(repo)) {
                tags.readNow(repo, tag).filter(r -> r.parsedDigest().equals(root)).ifPresent(r -> drop.add(tag));
            }
            // Only what this repository holds: another repository's content is not this caller's to evict (nor to learn of).
            if (drop.isEmpty() && (!links.isLinkedNow(repo, root) || !index.parts(root).manifests().containsKey(root))) {
                throw new RegistryException(ErrorCode.MANIFEST_UNKNOWN, repo.fullName() + "@" + root + " is not in the cache");
            }
        } else {
            Optional<TagRecord> record = tags.readNow(repo, reference.tag());
            if (record.isEmpty()) {
                throw new RegistryException(ErrorCode.MANIFEST_UNKNOWN, repo.fullName() + ":" + reference.tag() + " is not in the cache");
            }
            root = record.get().parsedDigest();
            drop.add(reference.tag());
        }
        refusePinned(repo, drop);
        return evict(repo, drop, List.of(root));
    }

    synchronized Map<String, Object> repository(Repository repo) throws IOException {
        refuseHosted(repo);
        List<String> drop = tagsOf(repo);
        if (drop.isEmpty()) {
            throw new RegistryException(ErrorCode.NAME_UNKNOWN, repo.fullName() + " holds no tag in the cache");
        }
        refusePinned(repo, drop);
        List<Digest> roots = new ArrayList<>();
        for (String tag : drop) {
            tags.readNow(repo, tag).ifPresent(r -> roots.add(r.parsedDigest()));
        }
        return evict(repo, drop, roots);
    }

    private Map<String, Object> evict(Repository repo, List<String> drop, List<Digest> roots) throws IOException {
        Set<Digest> hostedShared = hostedInBucket();
        Set<Digest> gone = new LinkedHashSet<>();
        Map<Digest, Long> blobs = new LinkedHashMap<>();
        for (Digest root : roots) {
            ImageParts parts = index.parts(root);
            gone.add(root);
            gone.addAll(parts.manifests().keySet());
            blobs.putAll(parts.blobs());
        }
        // What the images left behind still need: here, and in every other repository (from the index, in memory).
        Set<Digest> neededHere = new HashSet<>();
        Set<Digest> neededElsewhere = new HashSet<>();
        for (CacheIndex.Repo e : index.entries(null)) {
            boolean here = e.repo.fullName().equals(repo.fullName());
            for (var t : e.tags.entrySet()) {
                if (here && drop.contains(t.getKey())) {
                    continue;
                }
                Digest d = t.getValue().parsedDigest();
                ImageParts parts = index.parts(d);
                Set<Digest> into = here ? neededHere : neededElsewhere;
                into.add(d);
                into.addAll(parts.manifests().keySet());
                into.addAll(parts.blobs().keySet());
            }
        }
        for (String tag : drop) {
            tags.deleteNow(repo, tag);
        }
        List<String> evictedManifests = new ArrayList<>();
        List<Reference> left = new ArrayList<>();
        drop.forEach(t -> left.add(Reference.parse(t)));
        for (Digest m : gone) {
            if (!neededHere.contains(m)) {
                links.unlinkNow(repo, m);
                left.add(Reference.of(m));
            }
            if (!neededHere.contains(m) && !neededElsewhere.contains(m) && !hostedAnywhere(m, hostedShared)) {
                manifests.evict(m);
                evictedManifests.add(m.toString());
            }
        }
        int removed = 0;
        int kept = 0;
        long bytes = 0;
        for (var b : blobs.entrySet()) {
            Digest d = b.getKey();
            if (!neededHere.contains(d)) {
                links.unlinkNow(repo, d);
            }
            if (neededHere.contains(d) || neededElsewhere.contains(d) || hostedAnywhere(d, hostedShared) || pins.holds(d)) {
                kept++;
            } else if (tiers.evict(d).join()) {
                removed++;
                bytes += b.getValue();
            }
        }
        tell(repo, left);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("repository", repo.fullName());
        out.put("manifests", evictedManifests);
        out.put("tags", List.copyOf(drop));
        out.put("blobs", removed);
        out.put("bytes", bytes);
        out.put("keptBlobs", kept);
        return out;
    }

    private boolean hostedAnywhere(Digest d, Set<Digest> hostedShared) {
        return links.heldByHostedRepository(d) || hostedShared.contains(d);
    }

    /** The digests hosted repositories link in the shared bucket (none without one). Blocks. */
    private Set<Digest> hostedInBucket() {
        if (shared == null) {
            return Set.of();
        }
        String root = "repositories/" + Repository.HOSTED_NAMESPACE + "/";
        Set<Digest> held = new HashSet<>();
        try {
            for (String key : shared.listRecursive(root)) {
                int at = key.indexOf("/_links/");
                if (at >= 0) {
                    try {
                        held.add(Digest.parse(key.substring(at + "/_links/".length()).replace('/', ':')));
                    } catch (RegistryException notALink) {
                        // another record under the repository
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new RegistryException(ErrorCode.UNAVAILABLE, 503, "cannot read from the shared bucket which digests hosted "
                    + "repositories hold, so nothing was evicted (their copy there may be the only one); try again",
                    Map.of("Retry-After", "5"), e);
        }
        return held;
    }

    private void tell(Repository repo, List<Reference> left) {
        for (ManifestObserver o : observers) {
            for (Reference r : left) {
                try {
                    o.removed(repo, r);
                } catch (RuntimeException e) {
                    // An observer's trouble never fails the eviction, which is done.
                    log.debug("manifest observer failed on the eviction of {}:{}: {}", repo, r, e.toString());
                }
            }
        }
    }

    private List<String> tagsOf(Repository repo) throws IOException {
        return tags.listNow(repo);
    }

    private void refusePinned(Repository repo, List<String> drop) {
        List<String> pinned = drop.stream().filter(t -> pins.isPinned(repo, t)).toList();
        if (!pinned.isEmpty()) {
            throw new RegistryException(ErrorCode.DENIED, 409, repo.fullName() + ":" + String.join(", ", pinned)
                    + " is pinned; unpin it first (DELETE /v2/_gantry/pins/" + repo.fullName() + ":" + pinned.get(0) + ")",
                    Map.of(), null);
        }
    }

    private static void refuseHosted(Repository repo) {
        if (repo.isHosted()) {
            throw new RegistryException(ErrorCode.UNSUPPORTED, repo.fullName() + " is hosted here, not cached: delete its "
                    + "content with DELETE /v2/" + repo.fullName() + "/manifests/<digest>");
        }
    }
}
