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

    /**
     * The shared copy as it stands now, absence included, where there is one:
     * for records of hosted repositories, which any replica may change or
     * delete and which a client expects to read back from every replica once
     * its push was acknowledged. Falls back to the local copy only when the
     * shared one cannot be read. A single-tier store just reads.
     */
    default Optional<byte[]> getShared(String key) throws IOException {
        return get(key);
    }

    /**
     * Whether the shared copy holds the key now, as {@link #getShared} reads
     * it: for links of hosted repositories, which another replica may have
     * deleted a moment ago. A single-tier store just looks.
     */
    default boolean existsShared(String key) throws IOException {
        return exists(key);
    }

    /**
     * Whether the shared copy holds the key, as the shared copy itself answers
     * (a write of it this replica has queued counts): empty when it cannot be
     * asked now, where {@link #existsShared} would answer from the local copy.
     * For a check whose "yes" must come from the bucket: what a fleet owner
     * should have recorded there. A single-tier store just looks.
     */
    default Optional<Boolean> sharedHolds(String key) throws IOException {
        return Optional.of(exists(key));
    }

    /**
     * The keys directly under {@code prefix} in the shared copy as it stands
     * now, as {@link #list} names them: for hosted tags and referrers, where a
     * name another replica deleted must not be listed from an old local copy.
     * Falls back to the local copy only when the shared one cannot be listed.
     * A single-tier store just lists.
     */
    default List<String> listShared(String prefix) throws IOException {
        return list(prefix);
    }

    /**
     * The keys at any depth under {@code prefix} in the shared copy as it
     * stands now, named as {@link #listRecursive} names them: one listing
     * tells which of many records another replica added or deleted, without
     * a read of each. Unlike {@link #listShared} it never answers from a
     * local copy. A single-tier store just lists.
     *
     * @throws IOException when the shared copy cannot be listed now
     */
    default List<String> listSharedRecursive(String prefix) throws IOException {
        return listRecursive(prefix);
    }

    /** Whether writes reach a copy other replicas read ({@link #putShared} then differs from {@link #put}). */
    default boolean shared() {
        return false;
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

    /**
     * {@link #put} of a record another replica has just written to the
     * shared copy (it fetched what this replica got from it, and recorded
     * it): a tiered store keeps it locally only, sparing the shared copy a
     * second write of the same record. A single-tier store just writes.
     */
    default void putHere(String key, byte[] value) throws IOException {
        put(key, value);
    }

    /** Removes a key; returns whether it existed. */
    boolean delete(String key) throws IOException;

    /**
     * {@link #put} that returns only once every replica reads the new value:
     * a tiered store writes the shared copy first, on the calling thread, and
     * fails (leaving its local copy as it was) when that write fails. For what
     * a push acknowledges; a single-tier store just writes.
     */
    default void putShared(String key, byte[] value) throws IOException {
        put(key, value);
    }

    /** {@link #delete} that returns only once no replica reads the key any more; see {@link #putShared}. */
    default boolean deleteShared(String key) throws IOException {
        return delete(key);
    }

    /** The keys directly under {@code prefix} (which ends with {@code /}), as names relative to it, sorted. */
    List<String> list(String prefix) throws IOException;

    /** Every key under {@code prefix} at any depth, relative to it, sorted. */
    List<String> listRecursive(String prefix) throws IOException;

    /**
     * The keys directly under {@code prefix}, as {@link #list} names them, each
     * with its {@link MetadataStoreEntry#etag} and {@link MetadataStoreEntry#lastModified}, sorted by
     * name: one request to S3 (ListObjectsV2) however many keys, so a caller
     * that polls a prefix reads a key's value only when its etag changed. A
     * tiered store answers from the shared copy, from the local one only when
     * the shared one cannot be listed. Stores that cannot say refuse
     * ({@link UnsupportedOperationException}); every store Gantry builds can.
     */
    default List<MetadataStoreEntry> listEntries(String prefix) throws IOException {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " does not list etags");
    }
}
