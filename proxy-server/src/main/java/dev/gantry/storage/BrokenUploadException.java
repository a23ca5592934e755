package dev.gantry.storage;

import java.io.IOException;

/**
 * An upload session in the shared bucket that can never complete: a chunk
 * its state names is gone, or holds another size than the state says (a
 * session deleted, or written by two replicas at once, while a request still
 * wrote to it). Retrying the same request cannot help; the client must start
 * the upload again.
 */
public final class BrokenUploadException extends IOException {

    public BrokenUploadException(String message) {
        super(message);
    }
}
