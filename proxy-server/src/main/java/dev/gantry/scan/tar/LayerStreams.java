package dev.gantry.scan.tar;

import io.airlift.compress.zstd.ZstdInputStream;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Opens a layer blob as a bounded tar stream, choosing the decompressor by
 * the blob's magic bytes, not its declared media type (registries and
 * builders get media types wrong; bytes do not lie): gzip {@code 1f 8b},
 * zstd {@code 28 b5 2f fd}, else plain tar. bzip2 and xz are recognised and
 * refused.
 *
 * <p>gzip: {@link GzipMembers}, every member, on the JDK's zlib. zstd:
 * airlift aircompressor's pure-Java decoder — no
 * native library to load or to crash the server on hostile input, and it
 * runs on every architecture Gantry does.
 */
public final class LayerStreams {
    static final int BUFFER = 128 * 1024;

    private final CountingSource source;
    private final ExpansionGuard guard;
    private final String compression;

    private LayerStreams(CountingSource source, ExpansionGuard guard, String compression) {
        this.source = source;
        this.guard = guard;
        this.compression = compression;
    }

    /**
     * Wraps the caller's blob stream; does not close it.
     *
     * @throws ScanAbort {@code UNSUPPORTED} for bzip2 or xz
     * @throws IOException when the first bytes cannot be read
     */
    public static LayerStreams open(InputStream blob, long maxExpanded, long maxRatio, long ratioFloor)
            throws IOException {
        CountingSource source = new CountingSource(blob);
        BufferedInputStream buffered = new BufferedInputStream(source, BUFFER);
        buffered.mark(8);
        byte[] magic = new byte[6];
        int n = buffered.readNBytes(magic, 0, magic.length);
        buffered.reset();
        InputStream decoded;
        String compression;
        if (n >= 2 && (magic[0] & 0xFF) == 0x1F && (magic[1] & 0xFF) == 0x8B) {
            decoded = new GzipMembers(buffered);
            compression = "gzip";
        } else if (n >= 4 && (magic[0] & 0xFF) == 0x28 && (magic[1] & 0xFF) == 0xB5 && (magic[2] & 0xFF) == 0x2F
                && (magic[3] & 0xFF) == 0xFD) {
            decoded = new ZstdInputStream(buffered);
            compression = "zstd";
        } else if (n >= 3 && magic[0] == 'B' && magic[1] == 'Z' && magic[2] == 'h') {
            throw new ScanAbort("UNSUPPORTED", "bzip2-compressed layer (only gzip, zstd and plain tar are read)");
        } else if (n >= 6 && (magic[0] & 0xFF) == 0xFD && magic[1] == '7' && magic[2] == 'z' && magic[3] == 'X'
                && magic[4] == 'Z' && magic[5] == 0) {
            throw new ScanAbort("UNSUPPORTED", "xz-compressed layer (only gzip, zstd and plain tar are read)");
        } else {
            decoded = buffered;
            compression = "none";
        }
        return new LayerStreams(source, new ExpansionGuard(decoded, source, maxExpanded, maxRatio, ratioFloor),
                compression);
    }

    /** The decompressed, bounded tar stream. */
    public InputStream tar() {
        return guard;
    }

    /** {@code gzip}, {@code zstd} or {@code none}. */
    public String compression() {
        return compression;
    }

    public long compressedBytes() {
        return source.count();
    }

    public long expandedBytes() {
        return guard.expanded();
    }
}
