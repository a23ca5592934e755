package dev.gantry.scan.tar;

import java.io.IOException;
import java.io.InputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarUtils;

/**
 * commons-compress's tar reader with the bounds a registry needs on hostile
 * input: PAX headers and GNU long names are read into memory by the library,
 * so their size is capped here (a 4 GiB "long name" of zeros compresses to a
 * few MiB), and the entry count is capped. Not thread-safe, like any stream.
 */
public final class BoundedTarInputStream extends TarArchiveInputStream {
    private final int maxMetadataBytes;
    private final long maxEntries;
    private long entries;
    private long metadataRead;

    public BoundedTarInputStream(InputStream in, int maxMetadataBytes, long maxEntries) {
        super(in, "UTF-8");
        this.maxMetadataBytes = maxMetadataBytes;
        this.maxEntries = maxEntries;
    }

    /** The next entry (metadata entries are consumed by the library), or null at the end of the archive. */
    public TarArchiveEntry next() throws IOException {
        metadataRead = 0;
        TarArchiveEntry e = getNextEntry();
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
        }
        return n;
    }
}
