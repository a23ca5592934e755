package dev.gantry.registry;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.gantry.oci.Digest;
import dev.gantry.storage.MetadataStore;
import dev.gantry.storage.StorageLayout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Manifests by digest: immutable, so cached forever (in memory, weighed in
 * bytes, in front of the metadata store). A record is the media type, a
 * newline, then the manifest's exact bytes.
 */
public final class ManifestStore {

    private static final Logger log = LoggerFactory.getLogger(ManifestStore.class);

    record StoredManifest(Digest digest, String mediaType, byte[] body) {
    }

    private final MetadataStore meta;
    private final Executor blocking;
    private final Cache<Digest, StoredManifest> memory;
    private volatile Changes changes = Changes.NONE;

    /** Hears of every manifest this replica stores or evicts (the cache index). Must not block. */
    public interface Changes {
        Changes NONE = new Changes() {
            @Override
            public void stored(Digest digest) {
            }

            @Override
            public void evicted(Digest digest) {
            }
        };

        void stored(Digest digest);

        void evicted(Digest digest);
    }

    public ManifestStore(MetadataStore meta, Executor blocking, long memoryBytes) {
        this.meta = meta;
        this.blocking = blocking;
        this.memory = Caffeine.newBuilder()
                .maximumWeight(memoryBytes)
                .<Digest, StoredManifest>weigher((d, m) -> m.body().length + m.mediaType().length() + 64)
                .build();
    }

    /** Who hears of stores and evictions from now on (set once while wiring: the index reads through this store). */
    public void listen(Changes listener) {
        this.changes = listener;
    }

    /** The stored manifest, from memory if possible. */
    CompletableFuture<Optional<StoredManifest>> get(Digest digest) {
        StoredManifest hot = memory.getIfPresent(digest);
        if (hot != null) {
            return CompletableFuture.completedFuture(Optional.of(hot));
        }
        return BlockingIo.supply(blocking, () -> {
            Optional<StoredManifest> m = meta.get(StorageLayout.manifestKey(digest)).flatMap(b -> decode(digest, b));
            m.ifPresent(found -> memory.put(digest, found));
            return m;
        });
    }

    /** The stored manifest, read on the calling thread (which may block): for the admin API's walks. */
    Optional<StoredManifest> readNow(Digest digest) throws IOException {
        StoredManifest hot = memory.getIfPresent(digest);
        if (hot != null) {
            return Optional.of(hot);
        }
        return meta.get(StorageLayout.manifestKey(digest)).flatMap(b -> decode(digest, b));
    }

    /** Forgets a manifest, from memory and the store. Blocks. */
    void evict(Digest digest) throws IOException {
        memory.invalidate(digest);
        meta.delete(StorageLayout.manifestKey(digest));
        changes.evicted(digest);
    }

    /** Stores a manifest whose bytes were verified against its digest (a push: complete once written). */
    CompletableFuture<Void> put(StoredManifest m) {
        memory.put(m.digest(), m);
        changes.stored(m.digest());
        return CompletableFuture.runAsync(() -> write(m, false), blocking);
    }

    /**
     * Stores a pushed manifest: written to the shared copy, where there is
     * one, before the future completes (every replica can then serve it), and
     * served from here only once written; a failed write fails the push.
     */
    CompletableFuture<Void> push(StoredManifest m) {
        return BlockingIo.run(blocking, () -> {
            meta.putShared(StorageLayout.manifestKey(m.digest()), encode(m));
            memory.put(m.digest(), m);
            changes.stored(m.digest());
        });
    }

    /**
     * Caches a manifest fetched from upstream (and verified): served from
     * memory at once, written behind. A write that fails costs a fetch after
     * a restart, which is all a lost cache entry may cost.
     */
    void cache(StoredManifest m) {
        cache(m, false);
    }

    /**
     * {@link #cache(StoredManifest)}; {@code recordedShared}: the fleet member
     * that sent it has recorded it in the shared tier, so it is kept here only.
     */
    void cache(StoredManifest m, boolean recordedShared) {
        memory.put(m.digest(), m);
        changes.stored(m.digest());
        blocking.execute(() -> {
            try {
                write(m, recordedShared);
            } catch (UncheckedIOException e) {
                log.warn("cannot store manifest {}; it stays cached in memory: {}", m.digest(), e.getCause().toString());
            }
        });
    }

    /**
     * After {@code delay}: whether the shared copy lacks a manifest this
     * replica keeps only locally because the fleet member that sent it was to
     * record it ({@link #cache(StoredManifest, boolean)}), which its write
     * behind may not have done (that member stopped first); if so, written
     * there now. False when it is there, or the store has no shared copy.
     * One existence check of the shared copy.
     */
    CompletableFuture<Boolean> recordIfTheOwnerDidNot(StoredManifest m, Duration delay) {
        if (!meta.shared()) {
            return CompletableFuture.completedFuture(false);
        }
        Executor later = CompletableFuture.delayedExecutor(delay.toMillis(), TimeUnit.MILLISECONDS, blocking);
        return CompletableFuture.supplyAsync(() -> {
            String key = StorageLayout.manifestKey(m.digest());
            try {
                // Only the bucket's own "yes" counts: where it cannot be asked, the write is queued
                // (behind the bucket's recovery) like any other, and the same bytes again do no harm.
                if (meta.sharedHolds(key).orElse(false)) {
                    return false;
                }
                meta.put(key, encode(m));
                return true;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, later);
    }

    private void write(StoredManifest m, boolean recordedShared) {
        try {
            if (recordedShared) {
                meta.putHere(StorageLayout.manifestKey(m.digest()), encode(m));
            } else {
                meta.putIfAbsent(StorageLayout.manifestKey(m.digest()), encode(m));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] encode(StoredManifest m) {
        byte[] type = (m.mediaType() + "\n").getBytes(StandardCharsets.UTF_8);
        byte[] out = Arrays.copyOf(type, type.length + m.body().length);
        System.arraycopy(m.body(), 0, out, type.length, m.body().length);
        return out;
    }

    static Optional<StoredManifest> decode(Digest digest, byte[] record) {
        int nl = 0;
        while (nl < record.length && record[nl] != '\n') {
            nl++;
        }
        if (nl == record.length) {
            return Optional.empty();
        }
        byte[] body = Arrays.copyOfRange(record, nl + 1, record.length);
        // A record that fails its digest is treated as absent: it will be fetched again.
        if (!digest.matches(body)) {
            return Optional.empty();
        }
        return Optional.of(new StoredManifest(digest, new String(record, 0, nl, StandardCharsets.UTF_8), body));
    }
}
