package dev.gantry.scan.tar;

import java.io.IOException;

/** Reading the blob itself failed (disk, network): not evidence that the layer is bad. */
public final class SourceIOException extends IOException {
    private static final long serialVersionUID = 1L;

    SourceIOException(IOException cause) {
        super(cause.getMessage(), cause);
    }
}
