package dev.gantry.scan.tar;

import java.io.IOException;
import java.io.InputStream;

/**
 * The decompressed stream of a layer, bounded: past {@code maxExpanded}
 * bytes, or past {@code maxRatio} decompressed bytes per compressed byte once
 * {@code ratioFloor} bytes are out, reading throws {@link ScanAbort}. This is
 * what defuses decompression bombs before they cost more than the limits.
 */
final class ExpansionGuard extends ArrayReadStream {
    private final InputStream in;
    private final CountingSource source;
    private final long maxExpanded;
    private final long maxRatio;
    private final long ratioFloor;
    private long expanded;

    ExpansionGuard(InputStream in, CountingSource source, long maxExpanded, long maxRatio, long ratioFloor) {
        this.in = in;
        this.source = source;
        this.maxExpanded = maxExpanded;
        this.maxRatio = maxRatio;
        this.ratioFloor = ratioFloor;
    }

    long expanded() {
        return expanded;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = in.read(b, off, len);
        if (n > 0) {
            expanded += n;
            if (expanded > maxExpanded) {
                throw new ScanAbort("LIMIT", "layer expands beyond " + maxExpanded + " bytes");
            }
            if (expanded > ratioFloor && expanded / Math.max(1, source.count()) > maxRatio) {
                throw new ScanAbort("LIMIT", "layer expands more than " + maxRatio + " times its compressed size ("
                        + expanded + " bytes from " + source.count() + ")");
            }
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        // Read, never skip: skipping could bypass the counts above.
        byte[] scratch = new byte[(int) Math.min(n, 64 * 1024)];
        long left = n;
        while (left > 0) {
            int r = read(scratch, 0, (int) Math.min(left, scratch.length));
            if (r < 0) {
                break;
            }
            left -= r;
        }
        return n - left;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
