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

    boolean exists(String key) throws IOException;

    void put(String key, byte[] value) throws IOException;

    /** Removes a key; returns whether it existed. */
    boolean delete(String key) throws IOException;

    /** The keys directly under {@code prefix} (which ends with {@code /}), as names relative to it, sorted. */
    List<String> list(String prefix) throws IOException;
}
