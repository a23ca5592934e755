package dev.gantry.registry;

import dev.gantry.oci.Digest;
import dev.gantry.storage.MetadataStore;
import dev.gantry.storage.StorageLayout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cache listing in memory: every repository holding a tag (by full
 * name, sorted), its tag records, its last pull, and what each tagged image
 * is made of ({@link ImageParts}, keyed by the tag's digest). Loaded once
 * from the metadata store in the background ({@link #load}); until that
 * ends, {@link #entries} and {@link #parts} block (an admin listing right
 * after start waits for the load, it is never partial). Kept current by the
 * stores' events: tag writes and deletes ({@link TagStore.Changes}),
 * manifests stored and evicted ({@link ManifestStore.Changes}). Changes
 * another replica writes to a shared store reach it only when this replica
 * reads the tag again, or after a restart.
 *
 * <p>Memory (estimated from the objects held, not measured): per tag its
 * record (~400 bytes), per distinct tagged image its parts (~250 bytes per
 * manifest and per blob): roughly 2 KB for an image of a config and two
 * layers. Nothing is kept for manifests no tag leads to.
 */
public final class CacheIndex implements TagStore.Changes, ManifestStore.Changes {

    private static final Logger log = LoggerFactory.getLogger(CacheIndex.class);

    /** One repository: its tags, sorted, and its last pull (null when unknown). */
    static final class Repo {
        final Repository repo;
        final ConcurrentSkipListMap<String, TagRecord> tags = new ConcurrentSkipListMap<>();
        volatile Instant lastPull;

        Repo(Repository repo) {
            this.repo = repo;
        }
    }

    private final ManifestStore manifests;
    private final ConcurrentSkipListMap<String, Repo> repos = new ConcurrentSkipListMap<>();
    private final Map<Digest, ImageParts> parts = new ConcurrentHashMap<>();
    /** A manifest not held → the roots whose parts miss it: computed again when it is stored. */
    private final Map<Digest, Set<Digest>> waiting = new ConcurrentHashMap<>();
    private final CompletableFuture<Void> loaded = new CompletableFuture<>();

    public CacheIndex(ManifestStore manifests) {
        this.manifests = manifests;
    }

    /**
     * Reads every tag record, last pull and tagged image once; events that
     * arrive meanwhile win over what the load reads. Blocks: run it on the
     * blocking executor.
     */
    public void load(MetadataStore meta, BiFunction<String, String, Repository> stored, TagStore tags) {
        try {
            long start = System.nanoTime();
            int images = 0;
            for (CacheWalk.Entry e : CacheWalk.run(meta, stored)) {
                Repo r = repos.computeIfAbsent(e.repo().fullName(), k -> new Repo(e.repo()));
                for (String tag : e.tags()) {
                    Optional<TagRecord> record = tags.readNow(e.repo(), tag);
                    if (record.isPresent() && r.tags.putIfAbsent(tag, record.get()) == null) {
                        images++;
                    }
                }
                if (r.lastPull == null) {
                    r.lastPull = readLastPull(meta, e.repo());
                }
                for (TagRecord t : r.tags.values()) {
                    parts(t.parsedDigest());
                }
            }
            repos.values().removeIf(r -> r.tags.isEmpty());
            log.info("cache index loaded: {} repositories, {} tags in {} ms", repos.size(), images,
                    (System.nanoTime() - start) / 1_000_000);
            loaded.complete(null);
        } catch (IOException | RuntimeException e) {
            log.error("cannot load the cache index; admin listings fail until a restart: {}", e.toString());
            loaded.completeExceptionally(e);
        }
    }

    /** Repositories holding a tag after {@code last} (all when null), sorted by full name. Blocks until loaded. */
    Iterable<Repo> entries(String last) {
        awaitLoaded();
        return last == null ? repos.values() : repos.tailMap(last, false).values();
    }

    /** One repository's entry, or null when it holds no tag. Blocks until loaded. */
    Repo entry(Repository repo) {
        awaitLoaded();
        return repos.get(repo.fullName());
    }

    /** The parts of the image whose manifest is {@code root}, computed once per digest. Blocks. */
    ImageParts parts(Digest root) throws IOException {
        ImageParts hot = parts.get(root);
        if (hot != null) {
            return hot;
        }
        ImageParts computed = ImageParts.of(manifests, root);
        for (Digest m : computed.missing()) {
            waiting.computeIfAbsent(m, k -> ConcurrentHashMap.newKeySet()).add(root);
        }
        parts.put(root, computed);
        return computed;
    }

    void pulled(Repository repo, Instant at) {
        Repo r = repos.get(repo.fullName());
        if (r != null) {
            r.lastPull = at;
        }
    }

    @Override
    public void put(Repository repo, String tag, TagRecord record) {
        repos.compute(repo.fullName(), (k, r) -> {
            Repo into = r != null ? r : new Repo(repo);
            into.tags.put(tag, record);
            return into;
        });
    }

    @Override
    public void deleted(Repository repo, String tag) {
        repos.computeIfPresent(repo.fullName(), (k, r) -> {
            r.tags.remove(tag);
            return r.tags.isEmpty() ? null : r;
        });
    }

    @Override
    public void stored(Digest digest) {
        // A platform manifest fetched after its index: the images that lacked it are counted again.
        Set<Digest> roots = waiting.remove(digest);
        if (roots != null) {
            parts.keySet().removeAll(roots);
        }
        parts.remove(digest);
    }

    @Override
    public void evicted(Digest digest) {
        parts.entrySet().removeIf(e -> e.getKey().equals(digest) || e.getValue().manifests().containsKey(digest));
    }

    private void awaitLoaded() {
        try {
            loaded.join();
        } catch (RuntimeException e) {
            throw new UncheckedIOException(new IOException("the cache index could not be loaded", e));
        }
    }

    private static Instant readLastPull(MetadataStore meta, Repository repo) {
        try {
            return meta.get(StorageLayout.pulledKey(repo.namespace(), repo.name()))
                    .map(b -> Instant.parse(new String(b, StandardCharsets.UTF_8).trim())).orElse(null);
        } catch (IOException | RuntimeException e) {
            return null; // a damaged record says nothing
        }
    }
}
