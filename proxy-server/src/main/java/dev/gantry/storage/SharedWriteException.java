package dev.gantry.storage;

import java.io.IOException;

/**
 * A write every replica had to see ({@link MetadataStore#putShared},
 * {@link MetadataStore#deleteShared}) did not reach the shared bucket; the
 * local copy was left as it was. The request that asked for it fails.
 */
public final class SharedWriteException extends IOException {

    public SharedWriteException(String message, Throwable cause) {
        super(message, cause);
    }
}
