package dev.gantry.scan;

/**
 * Bounds on the work and memory one layer scan may take; a layer that exceeds
 * one ends its scan with {@link FailureKind#LIMIT} and the reason, or (for the
 * per-file bounds) is analysed partly and says so.
 *
 * @param maxExpandedBytes decompressed bytes of one layer (decompression bombs)
 * @param maxRatio decompressed bytes per compressed byte, checked once {@code ratioFloorBytes} are out
 * @param ratioFloorBytes decompressed bytes below which the ratio is not checked (small layers of
 *     zeros compress absurdly well and are harmless)
 * @param maxEntries tar entries of one layer, metadata entries included
 * @param maxMetadataBytes bytes of one PAX header or GNU long name entry
 * @param maxElfBytes bytes of one ELF file read and analysed; a bigger file is analysed up to this
 *     (headers, notes and what code lies within) and recorded as partly analysed. This bounds
 *     the memory of a scan.
 * @param maxTextBytes size up to which a file matched by a content rule is read and searched
 */
public record ScanLimits(long maxExpandedBytes, long maxRatio, long ratioFloorBytes, long maxEntries,
        int maxMetadataBytes, int maxElfBytes, int maxTextBytes) {

    public ScanLimits {
        if (maxExpandedBytes <= 0 || maxRatio <= 0 || ratioFloorBytes < 0 || maxEntries <= 0
                || maxMetadataBytes <= 0 || maxElfBytes < 64 || maxTextBytes < 0) {
            throw new IllegalArgumentException("scan limits must be positive (maxElfBytes at least 64)");
        }
    }

    /**
     * 64 GiB expanded, ratio 200 past 256 MiB, a million entries, 1 MiB of
     * metadata per entry, 128 MiB per ELF file (libLLVM fits; the largest CUDA
     * libraries do not, but are recognised by name), 64 KiB per text file.
     */
    public static ScanLimits defaults() {
        return new ScanLimits(64L << 30, 200, 256L << 20, 1_000_000, 1 << 20, 128 << 20, 64 << 10);
    }
}
