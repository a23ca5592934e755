package dev.gantry.storage;

import dev.gantry.oci.Digest;

/** The tier does not hold the blob (never did, or evicted it). */
public final class BlobNotFoundException extends RuntimeException {
    public BlobNotFoundException(Digest digest) {
        super("blob not stored: " + digest, null, false, false);
    }
}
