package dev.gantry.storage;

import java.io.IOException;

/** The bytes written do not match the expected digest or size; nothing was stored. */
public final class DigestMismatchException extends IOException {
    public DigestMismatchException(String message) {
        super(message);
    }
}
