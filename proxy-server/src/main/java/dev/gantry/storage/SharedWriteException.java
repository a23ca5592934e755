package dev.gantry.storage;

import java.io.IOException;

/**
 * The shared bucket failed where a push needed it: a write every replica had
 * to see ({@link MetadataStore#putShared}, {@link MetadataStore#deleteShared};
 * the local copy was left as it was), or an upload session in the bucket
 * ({@link S3UploadSessions}). The request that asked for it fails.
 */
public final class SharedWriteException extends IOException {

    public SharedWriteException(String message, Throwable cause) {
        super(message, cause);
    }
}
