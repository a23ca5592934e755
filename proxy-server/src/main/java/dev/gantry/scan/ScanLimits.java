package dev.gantry.scan;

import java.time.Duration;

/**
 * Bounds on the work and memory one layer scan may take; a layer that exceeds
 * one ends its scan there, {@code partial}, with {@link FailureKind#LIMIT} and
 * the reason (what was found before it counts), or (for the per-file bounds)
 * is analysed partly and says so.
 *
 * @param maxExpandedBytes decompressed bytes of one layer (decompression bombs)
 * @param maxRatio decompressed bytes per compressed byte, checked once {@code ratioFloorBytes} are out
 * @param ratioFloorBytes decompressed bytes below which the ratio is not checked (small layers of
 *     zeros compress absurdly well and are harmless)
 * @param maxEntries tar entries of one layer, metadata entries included
 * @param maxMetadataBytes bytes of one PAX header or GNU long name entry
 * @param maxElfBytes bytes of one ELF file read and analysed; a bigger file is analysed up to this
 *     (headers, notes and what code lies within) and recorded as partly analysed. Big files are
 *     spooled to disk and mapped, so this bounds the spool, not the heap.
 * @param maxTextBytes size up to which a file matched by a content rule is read and searched (at most 64 KiB)
 * @param maxLayerTime how long one layer's scan may run; past it the scan stops, partial
 */
public record ScanLimits(long maxExpandedBytes, long maxRatio, long ratioFloorBytes, long maxEntries,
        int maxMetadataBytes, int maxElfBytes, int maxTextBytes, Duration maxLayerTime) {

    public ScanLimits {
        if (maxExpandedBytes <= 0 || maxRatio <= 0 || ratioFloorBytes < 0 || maxEntries <= 0
                || maxMetadataBytes <= 0 || maxElfBytes < 64 || maxTextBytes < 0 || maxTextBytes > 64 << 10
                || maxLayerTime == null || maxLayerTime.isNegative() || maxLayerTime.isZero()) {
            throw new IllegalArgumentException("scan limits must be positive (maxElfBytes at least 64, "
                    + "maxTextBytes at most 64 KiB)");
        }
    }

    /** Limits with the default time limit, {@value #DEFAULT_LAYER_SECONDS} s per layer. */
    public ScanLimits(long maxExpandedBytes, long maxRatio, long ratioFloorBytes, long maxEntries,
            int maxMetadataBytes, int maxElfBytes, int maxTextBytes) {
        this(maxExpandedBytes, maxRatio, ratioFloorBytes, maxEntries, maxMetadataBytes, maxElfBytes, maxTextBytes,
                Duration.ofSeconds(DEFAULT_LAYER_SECONDS));
    }

    /** Seconds one layer's scan may take by default: a 1 GB layer of code scans in well under a minute. */
    public static final int DEFAULT_LAYER_SECONDS = 120;

    /** These limits with another per-layer time limit. */
    public ScanLimits withMaxLayerTime(Duration time) {
        return new ScanLimits(maxExpandedBytes, maxRatio, ratioFloorBytes, maxEntries, maxMetadataBytes, maxElfBytes,
                maxTextBytes, time);
    }

    /**
     * 64 GiB expanded, ratio 200 past 256 MiB, a million entries, 1 MiB of
     * metadata per entry, 128 MiB per ELF file (libLLVM fits; the largest CUDA
     * libraries do not, but are recognised by name), 64 KiB per text file,
     * 120 s per layer.
     */
    public static ScanLimits defaults() {
        return new ScanLimits(64L << 30, 200, 256L << 20, 1_000_000, 1 << 20, 128 << 20, 64 << 10);
    }
}
