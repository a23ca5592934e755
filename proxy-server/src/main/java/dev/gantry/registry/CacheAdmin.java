package dev.gantry.registry;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.gantry.oci.Digest;
import dev.gantry.oci.ErrorCode;
import dev.gantry.oci.Reference;
import dev.gantry.oci.RegistryException;
import dev.gantry.storage.MetadataStore;
import dev.gantry.storage.StorageLayout;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator's view of the cache (the admin API): which repositories it
 * holds with their tags, sizes and last pull; evicting images and
 * repositories; pins. Answers are JSON-ready maps, in the shapes the
 * README's "Operator actions" documents. Walks run on the blocking executor.
 */
public final class CacheAdmin {

    private static final Logger log = LoggerFactory.getLogger(CacheAdmin.class);

    /** A page of repositories; {@code next} is the {@code last} of the next page, or null. */
    public record Page(List<Map<String, Object>> repositories, String next) {
    }

    /** A pin's JSON, and whether the request made it. */
    public record PinResult(Map<String, Object> pin, boolean created) {
    }

    private final MetadataStore meta;
    private final ManifestStore manifests;
    private final TagStore tags;
    private final BlobTiers tiers;
    private final RepositoryResolver resolver;
    private final Pins pins;
    private final CacheEviction eviction;
    private final CacheListing listing;
    private final CacheIndex index;
    private final Executor blocking;
    private final Cache<String, Instant> lastPull;

    public CacheAdmin(MetadataStore meta, ManifestStore manifests, TagStore tags, BlobTiers tiers, RepositoryResolver resolver,
                      Pins pins, CacheIndex index, CacheEviction eviction, CacheListing listing, Executor blocking,
                      long lastPulls) {
        this.lastPull = Caffeine.newBuilder().maximumSize(lastPulls).build();
        this.meta = meta;
        this.manifests = manifests;
        this.tags = tags;
        this.tiers = tiers;
        this.resolver = resolver;
        this.pins = pins;
        this.blocking = blocking;
        this.index = index;
        this.eviction = eviction;
        this.listing = listing;
    }

    Repository stored(String namespace, String name) {
        return CacheWalk.resolveStored(resolver, namespace, name);
    }

    /** Cached repositories the predicate lets through, sorted by full name, after {@code last}, at most {@code n}. */
    public CompletableFuture<Page> repositories(Integer n, String last, Predicate<Repository> visible) {
        return BlockingIo.supply(blocking, () -> {
            // From the index: one page costs its own repositories, not a walk of the store.
            List<Map<String, Object>> out = new ArrayList<>();
            String lastListed = null;
            for (CacheIndex.Repo r : index.entries(last)) {
                if (!visible.test(r.repo)) {
                    continue;
                }
                if (n != null && out.size() == n) {
                    return new Page(out, lastListed);
                }
                Map<String, Object> described = listing.describe(r, false);
                if (described != null) {
                    out.add(described);
                    lastListed = r.repo.fullName();
                }
            }
            return new Page(out, null);
        });
    }

    /** One cached repository in detail; {@code NAME_UNKNOWN} when the cache holds no tag of it. */
    public CompletableFuture<Map<String, Object>> repository(Repository repo) {
        return BlockingIo.supply(blocking, () -> {
            CacheIndex.Repo held = index.entry(repo);
            Map<String, Object> described = held == null ? null : listing.describe(held, true);
            if (described == null) {
                throw new RegistryException(ErrorCode.NAME_UNKNOWN, repo.fullName() + " holds no tag in the cache");
            }
            return described;
        });
    }

    /** {@code observer} hears of each tag and manifest an eviction takes out of a repository. */
    void observeEvictions(ManifestObserver observer) {
        eviction.observe(observer);
    }

    /** Evicts one image (a tag, or a manifest by digest with the tags pointing at it). */
    public CompletableFuture<Map<String, Object>> evictImage(Repository repo, Reference reference) {
        return BlockingIo.supply(blocking, () -> eviction.image(repo, reference)).thenApply(this::afterEviction);
    }

    /** Evicts every image of a repository. */
    public CompletableFuture<Map<String, Object>> evictRepository(Repository repo) {
        return BlockingIo.supply(blocking, () -> eviction.repository(repo)).thenApply(this::afterEviction);
    }

    private Map<String, Object> afterEviction(Map<String, Object> result) {
        log.info("evicted from the cache: {}", result);
        return result;
    }

    /** Every pin the predicate lets through, sorted by image. */
    public List<Map<String, Object>> pins(Predicate<Repository> visible) {
        return pins.all().stream().filter(p -> visible.test(p.repo)).map(CacheAdmin::pinJson).toList();
    }

    /**
     * Pins {@code repo:tag} (a pin of the admin API, kept in the metadata
     * store); {@code UNAVAILABLE} when the shared bucket, where there is one,
     * cannot be written: the other replicas would not see the pin.
     */
    public CompletableFuture<PinResult> pin(Repository repo, String tag, String user) {
        return SharedWrites.acknowledged(BlockingIo.supply(blocking, () -> {
            var added = pins.add(repo, tag, user);
            // What the tag holds now is spared by eviction at once; the warm that follows adds what it fetches.
            refreshPinned();
            return new PinResult(pinJson(added.getKey()), added.getValue());
        }), "would not know this pin");
    }

    /**
     * Removes a pin the admin API made (on any replica); {@code 404} when there
     * is none, {@code 409} for a configured one, {@code UNAVAILABLE} as for {@link #pin}.
     */
    public CompletableFuture<Map<String, Object>> unpin(Repository repo, String tag) {
        return SharedWrites.acknowledged(BlockingIo.supply(blocking, () -> {
            Map<String, Object> removed = pinJson(pins.remove(repo, tag));
            refreshPinned();
            return removed;
        }), "would keep this pin");
    }

    /**
     * Adopts the pins other replicas made through the API and drops those
     * they removed, as the store's shared copy holds them; when that changes
     * any, recomputes which digests pinned images hold. Adopted pins are
     * revalidated on this replica's next {@code cache.pins.revalidate}. Blocks.
     */
    public void refreshPins() throws IOException {
        if (pins.refresh()) {
            refreshPinned();
        }
    }

    /**
     * Revalidates a pin's tag and fetches whatever of its image is missing,
     * as a warm job; when it ends, the pin records what it found and the
     * pinned digests are recomputed.
     */
    public WarmJobs.Job revalidate(Repository repo, String tag, WarmJobs warm) {
        WarmJobs.Job job = warm.start(repo, Reference.parse(tag), repo.fullName() + ":" + tag);
        job.result().whenComplete((digest, e) -> {
            Pins.Pin p = pins.get(repo, tag);
            if (p != null) {
                p.revalidatedAt = pins.now();
                p.digest = digest != null ? digest : p.digest;
                p.error = e == null ? null : UpstreamErrors.unwrap(e).getMessage();
            }
            blocking.execute(this::refreshPinnedQuietly);
        });
        return job;
    }

    /** Revalidates every pin (the schedule of {@code cache.pins.revalidate}). */
    public void revalidatePins(WarmJobs warm) {
        for (Pins.Pin p : pins.all()) {
            revalidate(p.repo, p.tag, warm);
        }
    }

    /**
     * Recomputes which digests pinned images are made of, from the tags as
     * held now. Blocks. One at a time (the pin refresh and an API pin may ask
     * at once): an older result must not land after a newer one.
     */
    public synchronized void refreshPinned() throws IOException {
        Set<Digest> digests = new HashSet<>();
        for (Pins.Pin p : pins.all()) {
            Optional<TagRecord> record = tags.readNow(p.repo, p.tag);
            if (record.isPresent()) {
                ImageParts parts = ImageParts.of(manifests, record.get().parsedDigest());
                digests.addAll(parts.manifests().keySet());
                digests.addAll(parts.blobs().keySet());
            }
        }
        pins.hold(digests);
    }

    private void refreshPinnedQuietly() {
        try {
            refreshPinned();
        } catch (IOException | RuntimeException e) {
            log.warn("cannot recompute the digests of pinned images: {}", e.toString());
        }
    }

    /** Whether a blob belongs to a pinned image: the disk tier's eviction leaves it. */
    public boolean pinned(Digest d) {
        return pins.holds(d);
    }

    /** A client got a manifest of the repository: recorded to the minute, written at most once a minute. */
    void notePull(Repository repo, Instant at) {
        Instant minute = at.truncatedTo(ChronoUnit.MINUTES);
        String key = StorageLayout.pulledKey(repo.namespace(), repo.name());
        Instant seen = lastPull.getIfPresent(key);
        if (seen != null && !seen.isBefore(minute)) {
            return; // the common case on the manifest path: recorded this minute already
        }
        Instant before = lastPull.asMap().put(key, minute);
        index.pulled(repo, minute);
        if (before == null || before.isBefore(minute)) {
            blocking.execute(() -> {
                try {
                    meta.put(key, minute.toString().getBytes(StandardCharsets.UTF_8));
                } catch (IOException e) {
                    log.debug("cannot record the last pull of {}: {}", repo, e.toString());
                }
            });
        }
    }

    Instant lastPull(Repository repo) throws IOException {
        String key = StorageLayout.pulledKey(repo.namespace(), repo.name());
        Instant hot = lastPull.getIfPresent(key);
        if (hot != null) {
            return hot;
        }
        try {
            return meta.get(key).map(b -> Instant.parse(new String(b, StandardCharsets.UTF_8).trim())).orElse(null);
        } catch (RuntimeException e) {
            return null; // a damaged record says nothing
        }
    }

    static Map<String, Object> pinJson(Pins.Pin p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("image", p.image());
        m.put("repository", p.repo.fullName());
        m.put("tag", p.tag);
        m.put("source", p.source.name().toLowerCase(java.util.Locale.ROOT));
        m.put("pinnedAt", text(p.pinnedAt));
        m.put("pinnedBy", p.pinnedBy);
        m.put("digest", p.digest == null ? null : p.digest.toString());
        m.put("revalidatedAt", text(p.revalidatedAt));
        m.put("error", p.error);
        return m;
    }

    static String text(Instant i) {
        return i == null ? null : i.toString();
    }
}
