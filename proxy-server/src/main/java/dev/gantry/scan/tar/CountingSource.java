package dev.gantry.scan.tar;

import java.io.IOException;
import java.io.InputStream;

/**
 * The blob as read from the caller: counts compressed bytes and marks the
 * caller's I/O errors as {@link SourceIOException}, so that a failed read is
 * not mistaken for a corrupt layer. Does not close the caller's stream.
 */
final class CountingSource extends ArrayReadStream {
    private final InputStream in;
    private long count;

    CountingSource(InputStream in) {
        this.in = in;
    }

    long count() {
        return count;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n;
        try {
            n = in.read(b, off, len);
        } catch (IOException e) {
            throw new SourceIOException(e);
        }
        if (n > 0) {
            count += n;
        }
        return n;
    }

    @Override
    public int available() throws IOException {
        try {
            return in.available();
        } catch (IOException e) {
            throw new SourceIOException(e);
        }
    }

    @Override
    public void close() {
        // the caller owns the blob stream
    }
}
