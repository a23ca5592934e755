package dev.gantry.scan.tar;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarUtils;

/**
 * commons-compress's tar reader with the bounds a registry needs on hostile
 * input: PAX headers and GNU long names are read into memory by the library,
 * so their size is capped here (a 4 GiB "long name" of zeros compresses to a
 * few MiB), and the entry count is capped. The library also reads some
 * headers past its own {@code read}, straight from the stream (a sparse
 * file's map, GNU sparse extension records), into a list an entry per few
 * bytes: so every byte read while it looks for the next entry is metered,
 * beyond the rest of the entry before it. Not thread-safe, like any stream.
 */
public final class BoundedTarInputStream extends TarArchiveInputStream {
    /** Header records (512 bytes each) one next entry may take besides its metadata entries' contents. */
    private static final int HEADER_RECORDS = 64;

    private final HeaderMeter meter;
    private final int maxMetadataBytes;
    private final long maxEntries;
    private long entries;
    private long metadataRead;
    /** Bytes of the current entry's body read through {@link #read}. */
    private long bodyRead;

    public BoundedTarInputStream(InputStream in, int maxMetadataBytes, long maxEntries) {
        this(new HeaderMeter(in), maxMetadataBytes, maxEntries);
    }

    private BoundedTarInputStream(HeaderMeter meter, int maxMetadataBytes, long maxEntries) {
        super(meter, "UTF-8");
        this.meter = meter;
        this.maxMetadataBytes = maxMetadataBytes;
        this.maxEntries = maxEntries;
    }

    /** The next entry (metadata entries are consumed by the library), or null at the end of the archive. */
    public TarArchiveEntry next() throws IOException {
        metadataRead = 0;
        TarArchiveEntry current = getCurrentEntry();
        long unread = current == null ? 0 : Math.max(0, current.getSize() - bodyRead);
        // What finding the next entry may read: the rest of this one and its padding, then headers and their
        // metadata (a PAX header and a long name at most, each capped by read), and no more.
        meter.allow(unread + 512 + HEADER_RECORDS * 512L + 2L * maxMetadataBytes, maxMetadataBytes);
        TarArchiveEntry e;
        try {
            e = getNextEntry();
        } finally {
            meter.unmetered();
        }
        bodyRead = 0;
        if (e != null && ++entries > maxEntries) {
            throw new ScanAbort("LIMIT", "more than " + maxEntries + " entries");
        }
        return e;
    }

    public long entries() {
        return entries;
    }

    /**
     * Verifies each header's checksum, which the library does not: on a plain
     * (uncompressed) layer nothing else would notice a corrupt header.
     */
    @Override
    protected byte[] readRecord() throws IOException {
        byte[] record = super.readRecord();
        if (record != null && !isEOFRecord(record) && !TarUtils.verifyCheckSum(record)) {
            throw new IOException("corrupt tar header: checksum mismatch");
        }
        return record;
    }

    @Override
    public int read(byte[] buf, int offset, int numToRead) throws IOException {
        TarArchiveEntry current = getCurrentEntry();
        boolean metadata = current != null && (current.isPaxHeader() || current.isGlobalPaxHeader()
                || current.isGNULongNameEntry() || current.isGNULongLinkEntry());
        int n = super.read(buf, offset, numToRead);
        if (metadata && n > 0) {
            metadataRead += n;
            if (metadataRead > maxMetadataBytes) {
                throw new ScanAbort("LIMIT", "a PAX header or long name entry exceeds " + maxMetadataBytes + " bytes");
            }
        } else if (n > 0) {
            bodyRead += n;
        }
        return n;
    }

    /** Counts the bytes read from the archive while a next entry is looked for, and stops past an allowance. */
    private static final class HeaderMeter extends FilterInputStream {
        private long allowance = Long.MAX_VALUE;
        private long used;
        private int maxMetadataBytes;

        HeaderMeter(InputStream in) {
            super(in);
        }

        void allow(long bytes, int metadataBytes) {
            allowance = bytes;
            maxMetadataBytes = metadataBytes;
            used = 0;
        }

        void unmetered() {
            allowance = Long.MAX_VALUE;
        }

        private void count(long n) throws ScanAbort {
            if (n > 0 && (used += n) > allowance) {
                throw new ScanAbort("LIMIT", "the headers before an entry (a sparse map, extension records) exceed "
                        + maxMetadataBytes + " bytes");
            }
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            count(b < 0 ? 0 : 1);
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            count(n);
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long skipped = super.skip(n);
            count(skipped);
            return skipped;
        }
    }
}
