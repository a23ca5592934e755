package dev.gantry.hardware;

import dev.gantry.oci.Digest;
import dev.gantry.registry.Repository;
import dev.gantry.schema.HardwareDocument;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Executor;
import java.util.function.BiPredicate;
import java.util.function.Function;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every scanned image platform that a repository holds (mirrored or hosted),
 * indexed by what it needs, for {@code GET /v2/_gantry/search}. Held in
 * memory, at most {@code maxImages} platforms, each with its document
 * stripped of evidence (a few hundred bytes); a search reads every entry
 * once, in repository order, which for 10,000 images is about a
 * millisecond. What a repository holds (its images and indexes, their tags)
 * is kept by {@link CatalogStore} and read back by {@link #load}; documents
 * come from the hardware records.
 *
 * <p>Thread-safe: changes take this object's lock; searches read a
 * concurrent sorted map without it and see each entry whole.
 */
public final class HardwareCatalog {

    private static final Logger log = LoggerFactory.getLogger(HardwareCatalog.class);

    /** A page of results and the total count of matches the caller may see. */
    public record Page(List<SearchResult> results, int total, String next) {
    }

    private final CatalogStore store;
    private final Executor searches;
    /** Whether a mirrored repository holds a platform its index lists, from this replica's records (a search asks). */
    private final BiPredicate<Repository, Digest> holdsNow;
    /** Image platforms listed at most by default: about 1 KB each, so 100 MB at worst. */
    public static final int DEFAULT_MAX_IMAGES = 100_000;

    private final int maxImages;
    private final ConcurrentSkipListMap<String, CatalogEntry> entries = new ConcurrentSkipListMap<>();
    private final Map<String, Placement> placements = new HashMap<>();
    /** Placements (keys) that list a platform manifest: where a new document goes. */
    private final Map<Digest, Set<String>> placedAt = new HashMap<>();
    private final Map<Digest, HardwareDocument> documents = new HashMap<>();
    /** {@code repository:tag} to the top-level digest it points at; read without the lock on every manifest GET by tag. */
    private final Map<String, Digest> tags = new ConcurrentHashMap<>();
    private boolean full;

    /**
     * A running server's is read back by {@link CatalogFollower#readBack} and kept current by a {@link ScanFollower}.
     *
     * @param searches runs searches, off the event loop
     * @param holdsNow whether a repository holds a manifest now, from this replica's own records (it may block):
     *     a platform an index of a mirrored repository lists is found there only then, for an upstream may
     *     accept an index whose platforms it lacks, and the platform's document is made from its own manifest
     */
    public HardwareCatalog(CatalogStore store, Executor searches, int maxImages, BiPredicate<Repository, Digest> holdsNow) {
        this.store = store;
        this.searches = searches;
        this.maxImages = maxImages;
        this.holdsNow = holdsNow;
    }

    /** Image platforms listed now. */
    public int size() {
        return entries.size();
    }

    /** Notes that {@code repo} holds an image manifest ({@code platforms} empty) or an index of {@code platforms}. */
    synchronized void place(Repository repo, Digest top, List<Digest> platforms) {
        String key = placementKey(repo, top);
        if (placements.containsKey(key)) {
            return;
        }
        if (entries.size() >= maxImages) {
            if (!full) {
                log.warn("the hardware catalog holds {} image platforms, its limit; images seen from now on are not listed", maxImages);
                full = true;
            }
            return;
        }
        Placement p = new Placement(repo, top, platforms);
        placements.put(key, p);
        p.manifests().forEach(d -> placedAt.computeIfAbsent(d, k -> new HashSet<>()).add(key));
        store.put(repo, top, List.copyOf(p.tags), p.platforms);
        materialise(p);
    }

    /** Whether {@code repo} holds {@code manifest} as a platform of an index it holds. */
    synchronized boolean isPlatformInRepository(Repository repo, Digest manifest) {
        for (String key : placedAt.getOrDefault(manifest, Set.of())) {
            Placement p = placements.get(key);
            if (p != null && p.index() != null && p.repo.fullName().equals(repo.fullName())) {
                return true;
            }
        }
        return false;
    }

    /** {@code tag} of {@code repo} points at {@code top} now (moving it from where it pointed before). */
    void tag(Repository repo, String tag, Digest top) {
        String tagKey = repo.fullName() + ":" + tag;
        if (top.equals(tags.get(tagKey))) {
            return; // the common case, a warm tag served again: no lock
        }
        synchronized (this) {
            moveTag(repo, tag, tagKey, top);
        }
    }

    private void moveTag(Repository repo, String tag, String tagKey, Digest top) {
        if (top.equals(tags.get(tagKey))) {
            return;
        }
        untag(repo, tag);
        Placement p = placements.get(placementKey(repo, top));
        if (p != null) {
            tags.put(tagKey, top);
            p.tags.add(tag);
            store.put(repo, top, List.copyOf(p.tags), p.platforms);
            materialise(p);
        }
    }

    /** {@code tag} no longer points anywhere in {@code repo}. */
    synchronized void untag(Repository repo, String tag) {
        Digest before = tags.remove(repo.fullName() + ":" + tag);
        Placement old = before == null ? null : placements.get(placementKey(repo, before));
        if (old != null && old.tags.remove(tag)) {
            store.put(repo, before, List.copyOf(old.tags), old.platforms);
            materialise(old);
        }
    }

    /**
     * {@code repo} no longer holds {@code top}, an image manifest or an index
     * (deleted, or evicted): neither it nor its tags are listed any more.
     */
    public synchronized void remove(Repository repo, Digest top) {
        Placement p = placements.remove(placementKey(repo, top));
        if (p == null) {
            return;
        }
        p.tags.forEach(t -> tags.remove(repo.fullName() + ":" + t));
        p.manifests().forEach(d -> {
            entries.remove(CatalogEntry.key(repo.fullName(), d, p.index()));
            Set<String> at = placedAt.get(d);
            if (at != null && at.remove(placementKey(repo, top)) && at.isEmpty()) {
                placedAt.remove(d);
                documents.remove(d);
            }
        });
        store.delete(repo, top);
    }

    /** Forgets everything a repository holds (it was evicted or deleted as a whole). */
    public synchronized void removeRepository(String fullName) {
        List<Placement> gone = placements.values().stream().filter(p -> p.repo.fullName().equals(fullName)).toList();
        gone.forEach(p -> remove(p.repo, p.top));
    }

    /** The document of a platform manifest is known (scanned now, or read back at start); kept if a placement lists it. */
    synchronized void documented(Digest manifest, HardwareDocument doc) {
        if (!placedAt.containsKey(manifest)) {
            return; // no repository listed holds it (the catalog is full, or it is not an image a tag or pull named)
        }
        HardwareDocument slim = CatalogEntry.slim(doc);
        if (slim.equals(documents.get(manifest))) {
            return;
        }
        documents.put(manifest, slim);
        for (String key : placedAt.getOrDefault(manifest, Set.of())) {
            Placement p = placements.get(key);
            if (p != null) {
                materialise(p);
            }
        }
    }

    /** Whether every change so far is written to the store. */
    boolean written() {
        return store.idle();
    }

    /** Whether the catalog has the document of a platform manifest. */
    synchronized boolean hasDocument(Digest manifest) {
        return documents.containsKey(manifest);
    }

    private void materialise(Placement p) {
        List<String> tagList = List.copyOf(p.tags);
        for (Digest d : p.manifests()) {
            HardwareDocument doc = documents.get(d);
            if (doc != null) {
                CatalogEntry e = CatalogEntry.of(p.repo, d, p.index(), tagList, doc);
                entries.put(e.key(), e);
            }
        }
    }

    /** {@link #search}, on the catalog's executor: a search with a host profile checks every match. */
    public CompletableFuture<Page> find(SearchQuery query, Predicate<Repository> visible, HostProfile host, int n, String last) {
        return CompletableFuture.supplyAsync(() -> search(query, visible, host, n, last), searches);
    }

    /**
     * One page of the images that match {@code query} and that {@code visible}
     * allows, in repository order after the cursor {@code last}; {@code total}
     * counts every match the caller may see, on every page.
     *
     * @param host when not null, only images that run on it (verdict {@code runs} or {@code runs-degraded})
     */
    public Page search(SearchQuery query, Predicate<Repository> visible, HostProfile host, int n, String last) {
        Map<String, Boolean> allowed = new HashMap<>();
        Function<CatalogEntry, Boolean> mayPull = e -> allowed.computeIfAbsent(e.repository(), k -> visible.test(e.repo()))
                && (e.index() == null || e.repo().isHosted() || holdsNow.test(e.repo(), e.digest()));
        List<SearchResult> page = new ArrayList<>();
        int total = 0;
        String next = null;
        for (CatalogEntry e : entries.values()) {
            if (!query.matches(e.repository(), e.document()) || !mayPull.apply(e)) {
                continue;
            }
            String verdict = null;
            if (host != null) {
                verdict = Checker.check(e.repository() + "@" + e.digest(),
                        List.of(new HardwareService.PlatformDocument(null, e.document(), false)), host).verdict();
                if (verdict.equals(Verdict.WILL_FAIL)) {
                    continue;
                }
            }
            total++;
            if (last != null && e.key().compareTo(last) <= 0) {
                continue;
            }
            if (page.size() < n) {
                page.add(SearchResult.of(e, verdict));
            } else if (next == null) {
                next = keyOfLast(page);
            }
        }
        return new Page(page, total, next);
    }

    private static String keyOfLast(List<SearchResult> page) {
        SearchResult r = page.get(page.size() - 1);
        return r.repository() + "@" + r.digest() + (r.index() == null ? "" : "@" + r.index());
    }

    /**
     * Reads back what repositories held at the last stop. Blocks; call once
     * at start, off the event loop.
     *
     * @param resolve a repository by full name; null when it no longer resolves (its upstream was removed)
     * @param stored the stored document of a platform manifest, if current
     */
    void load(Function<String, Repository> resolve, Function<Digest, Optional<HardwareDocument>> stored) throws IOException {
        int images = 0;
        for (CatalogStore.Placed placed : store.all()) {
            Repository repo = resolve.apply(placed.repository());
            if (repo == null) {
                continue;
            }
            Digest top = Digest.parse(placed.digest());
            List<Digest> platforms = placed.platforms().stream().map(Digest::parse).toList();
            synchronized (this) {
                if (placements.containsKey(placementKey(repo, top))) {
                    continue; // served since the start: what the follower saw is newer
                }
                Placement p = new Placement(repo, top, platforms);
                p.tags.addAll(placed.tags());
                placements.put(placementKey(repo, top), p);
                placed.tags().forEach(t -> tags.put(repo.fullName() + ":" + t, top));
                p.manifests().forEach(d -> placedAt.computeIfAbsent(d, k -> new HashSet<>()).add(placementKey(repo, top)));
            }
            for (Digest d : platforms.isEmpty() ? List.of(top) : platforms) {
                if (!hasDocument(d)) {
                    stored.apply(d).ifPresent(doc -> documented(d, doc));
                }
            }
            images++;
        }
        log.info("hardware catalog: {} images and indexes, {} image platforms listed", images, size());
    }

    private static String placementKey(Repository repo, Digest top) {
        return repo.fullName() + "@" + top;
    }
}
