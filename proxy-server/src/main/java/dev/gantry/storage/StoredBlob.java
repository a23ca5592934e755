package dev.gantry.storage;

import dev.gantry.oci.Digest;
import java.time.Instant;

/** A blob as a tier lists it: digest, size and when it was last read or written. */
public record StoredBlob(Digest digest, long size, Instant lastAccess) {
}
