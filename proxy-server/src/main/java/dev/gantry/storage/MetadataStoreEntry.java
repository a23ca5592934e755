package dev.gantry.storage;

import java.time.Instant;
import java.util.Objects;

/**
 * A key as {@link MetadataStore#listEntries} shows it: what tells a reader, without reading it,
 * whether its value changed and when it was last written.
 *
 * @param name the key relative to the listed prefix, as {@link MetadataStore#list} names it
 * @param etag opaque; equal for equal values of the key in one store (S3: the object's ETag, which is the
 *     MD5 of the bytes for a plain PUT, but may differ for equal bytes under SSE-KMS; disk: a hash of the bytes),
 *     comparable only with etags from the same store
 * @param lastModified when the value was last written, by the store's clock (S3: the bucket's, to the second;
 *     disk: the file's modification time), whether or not the bytes changed
 */
public record MetadataStoreEntry(String name, String etag, Instant lastModified) {
    public MetadataStoreEntry {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(etag, "etag");
        Objects.requireNonNull(lastModified, "lastModified");
    }
}
