package dev.gantry.scan.tar;

import java.io.IOException;

/**
 * Stops a layer scan for a reason the scanner itself decided (a limit, a
 * path traversal, an unsupported format), as opposed to a corrupt stream.
 * {@link #kind()} names the {@code FailureKind} constant.
 */
public final class ScanAbort extends IOException {
    private static final long serialVersionUID = 1L;

    private final String kind;

    public ScanAbort(String kind, String message) {
        super(message);
        this.kind = kind;
    }

    public String kind() {
        return kind;
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
        return this; // control flow for bad input: no stack trace needed
    }
}
