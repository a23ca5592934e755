package dev.gantry.registry;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.gantry.oci.RegistryException;
import dev.gantry.storage.MetadataStore;
import dev.gantry.storage.StorageLayout;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Tag records, in memory in front of the metadata store. */
public final class TagStore {

    private static final Logger log = LoggerFactory.getLogger(TagStore.class);
    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule());

    private final MetadataStore meta;
    private final Executor blocking;
    private final Cache<String, Optional<TagRecord>> memory;
    private final Changes changes;

    /** Hears of every tag this replica writes or deletes (the cache index). Must not block. */
    public interface Changes {
        Changes NONE = new Changes() {
            @Override
            public void put(Repository repo, String tag, TagRecord record) {
            }

            @Override
            public void deleted(Repository repo, String tag) {
            }
        };

        void put(Repository repo, String tag, TagRecord record);

        void deleted(Repository repo, String tag);
    }

    public TagStore(MetadataStore meta, Executor blocking, long maxEntries) {
        this(meta, blocking, maxEntries, Changes.NONE);
    }

    public TagStore(MetadataStore meta, Executor blocking, long maxEntries, Changes changes) {
        this.meta = meta;
        this.blocking = blocking;
        this.memory = Caffeine.newBuilder().maximumSize(maxEntries).build();
        this.changes = changes;
    }

    /**
     * The tag's record. A hosted repository's tags on a shared store are read
     * from the shared copy each time: another replica may have pushed or
     * deleted the tag a moment ago, and a client reads back what it pushed
     * through any replica.
     */
    CompletableFuture<Optional<TagRecord>> get(Repository repo, String tag) {
        String key = StorageLayout.tagKey(repo.namespace(), repo.name(), tag);
        if (repo.isHosted() && meta.shared()) {
            return CompletableFuture.supplyAsync(() -> {
                Optional<TagRecord> record = decode(key, () -> meta.getShared(key));
                memory.put(key, record);
                return record;
            }, blocking);
        }
        Optional<TagRecord> hot = memory.getIfPresent(key);
        if (hot != null) {
            return CompletableFuture.completedFuture(hot);
        }
        return CompletableFuture.supplyAsync(() -> {
            Optional<TagRecord> record = read(key);
            memory.put(key, record);
            return record;
        }, blocking);
    }

    /**
     * The newest record any replica wrote (the shared copy, where there is
     * one), refreshing the local cache: asked before revalidating upstream,
     * since another replica may have done that a moment ago.
     */
    CompletableFuture<Optional<TagRecord>> getLatest(Repository repo, String tag) {
        String key = StorageLayout.tagKey(repo.namespace(), repo.name(), tag);
        return CompletableFuture.supplyAsync(() -> {
            Optional<TagRecord> record = decode(key, () -> meta.getLatest(key));
            memory.put(key, record);
            record.ifPresent(r -> changes.put(repo, tag, r));
            return record;
        }, blocking);
    }

    /**
     * Records a tag. A hosted repository's tag (a push) is written to the
     * shared copy before the future completes, and remembered here only once
     * written: a failed write leaves the tag as it was.
     */
    CompletableFuture<Void> put(Repository repo, String tag, TagRecord record) {
        return put(repo, tag, record, false);
    }

    /**
     * {@link #put(Repository, String, TagRecord)}; {@code recordedShared}: a
     * mirrored tag the fleet member that owns it just recorded in the shared
     * tier (this replica got the manifest from it), kept here only.
     */
    CompletableFuture<Void> put(Repository repo, String tag, TagRecord record, boolean recordedShared) {
        String key = StorageLayout.tagKey(repo.namespace(), repo.name(), tag);
        if (repo.isHosted()) {
            return BlockingIo.run(blocking, () -> {
                meta.putShared(key, JSON.writeValueAsBytes(record));
                memory.put(key, Optional.of(record));
                changes.put(repo, tag, record);
            });
        }
        memory.put(key, Optional.of(record));
        changes.put(repo, tag, record);
        return BlockingIo.run(blocking, () -> {
            if (recordedShared) {
                meta.putHere(key, JSON.writeValueAsBytes(record));
            } else {
                meta.put(key, JSON.writeValueAsBytes(record));
            }
        });
    }

    /** Deletes a tag; a hosted repository's from the shared copy before the future completes (see {@link #put}). */
    CompletableFuture<Void> delete(Repository repo, String tag) {
        String key = StorageLayout.tagKey(repo.namespace(), repo.name(), tag);
        if (repo.isHosted()) {
            return BlockingIo.run(blocking, () -> {
                meta.deleteShared(key);
                memory.put(key, Optional.empty());
                changes.deleted(repo, tag);
            });
        }
        memory.put(key, Optional.empty());
        changes.deleted(repo, tag);
        return BlockingIo.run(blocking, () -> meta.delete(key));
    }

    /** A tag's record, read on the calling thread (which may block): for the admin API's walks. */
    Optional<TagRecord> readNow(Repository repo, String tag) {
        String key = StorageLayout.tagKey(repo.namespace(), repo.name(), tag);
        Optional<TagRecord> hot = memory.getIfPresent(key);
        return hot != null ? hot : read(key);
    }

    /** Forgets a tag on the calling thread (which may block): an operator's eviction. */
    void deleteNow(Repository repo, String tag) throws IOException {
        String key = StorageLayout.tagKey(repo.namespace(), repo.name(), tag);
        memory.put(key, Optional.empty());
        changes.deleted(repo, tag);
        meta.delete(key);
    }

    /** Tags held here, sorted, read on the calling thread (which may block). */
    List<String> listNow(Repository repo) throws IOException {
        String prefix = StorageLayout.tagsPrefix(repo.namespace(), repo.name());
        // A hosted repository's tags are listed as the shared copy holds them (see get).
        List<String> names = repo.isHosted() ? meta.listShared(prefix) : meta.list(prefix);
        return names.stream().sorted().collect(Collectors.toList());
    }

    /**
     * Tags known, sorted: a hosted repository's tags list, or a mirrored
     * one's fallback when upstream is down. A hosted repository's are listed
     * from the shared copy, where there is one, like {@link #get} reads them.
     */
    CompletableFuture<List<String>> list(Repository repo) {
        return BlockingIo.supply(blocking, () -> listNow(repo));
    }

    private Optional<TagRecord> read(String key) {
        return decode(key, () -> meta.get(key));
    }

    private interface Read {
        Optional<byte[]> read() throws IOException;
    }

    private Optional<TagRecord> decode(String key, Read read) {
        try {
            Optional<byte[]> bytes = read.read();
            if (bytes.isEmpty()) {
                return Optional.empty();
            }
            TagRecord r = JSON.readValue(bytes.get(), TagRecord.class);
            r.parsedDigest();
            return Optional.of(r);
        } catch (IOException | RegistryException e) {
            // A damaged record is as good as none: the tag is fetched again.
            log.warn("ignoring unreadable tag record {}: {}", key, e.toString());
            return Optional.empty();
        }
    }
}
