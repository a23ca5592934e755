package dev.gantry.schema;

import static java.util.Objects.requireNonNull;

/** The OCI descriptor of the platform manifest a document describes. */
public record Descriptor(String mediaType, String digest, long size) {
    public Descriptor {
        requireNonNull(mediaType, "mediaType");
        requireNonNull(digest, "digest");
        if (size < 0) {
            throw new IllegalArgumentException("size must not be negative");
        }
    }
}
