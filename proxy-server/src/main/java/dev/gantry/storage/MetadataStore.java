package dev.gantry.storage;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * Small records by key: manifests, tag records, repository links. Keys come
 * from {@link StorageLayout} only. Every write replaces the value atomically;
 * a reader sees the old or the new value, never a mix. All methods may block.
 */
public interface MetadataStore {

    Optional<byte[]> get(String key) throws IOException;

    /**
     * Like {@link #get}, but prefers the shared copy where there is one: for
     * records other replicas update (tag records), when the local copy may be
     * old. A single-tier store just reads.
     */
    default Optional<byte[]> getLatest(String key) throws IOException {
        return get(key);
    }

    boolean exists(String key) throws IOException;

    void put(String key, byte[] value) throws IOException;

    /**
     * {@link #put} unless this store already holds the key. A tiered store
     * looks at its local copy only: a redundant shared write, made in the
     * background, costs less than a shared read on the request path.
     */
    default void putIfAbsent(String key, byte[] value) throws IOException {
        if (!exists(key)) {
            put(key, value);
        }
    }

    /** Removes a key; returns whether it existed. */
    boolean delete(String key) throws IOException;

    /** The keys directly under {@code prefix} (which ends with {@code /}), as names relative to it, sorted. */
    List<String> list(String prefix) throws IOException;

    /** Every key under {@code prefix} at any depth, relative to it, sorted. */
    List<String> listRecursive(String prefix) throws IOException;
}
