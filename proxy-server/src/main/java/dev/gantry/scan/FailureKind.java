package dev.gantry.scan;

/** Why a layer scan stopped early. */
public enum FailureKind {
    /** The compressed stream or the tar archive is corrupt or truncated. */
    CORRUPT,
    /** The layer exceeded a {@link ScanLimits} bound (size, ratio, entries, metadata). */
    LIMIT,
    /** An entry name or hard-link target escapes the layer root ({@code ..}); container engines refuse such layers. */
    PATH_TRAVERSAL,
    /** The compression format is not one Gantry reads (bzip2, xz...). */
    UNSUPPORTED,
    /** Reading the blob itself failed: not the layer's fault, so the result should not be kept. */
    IO;

    /** Whether another scan of the same bytes could succeed. */
    public boolean retryable() {
        return this == IO;
    }
}
