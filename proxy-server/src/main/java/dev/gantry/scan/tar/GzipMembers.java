package dev.gantry.scan.tar;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * The inflated bytes of a gzip file (RFC 1952) of one or more members, each
 * member's CRC-32 and length checked at its end. A layer is often several
 * members (parallel compressors write one per block), and all of them are
 * read, whatever the source says is {@code available()}.
 *
 * <p>Written on the JDK's {@link Inflater} (zlib) rather than taken from a
 * library because inflating is most of what a layer scan costs, and both
 * readers at hand cost more than zlib itself: commons-compress's
 * {@code GzipCompressorInputStream} hands zlib 8 KiB of input per call and
 * spent 5-8 % more CPU than this class on the same layers, and the JDK's
 * {@code GZIPInputStream} stops after a member when the source has no bytes
 * available at that moment (a network stream often has none). What is left
 * to write is the member header and trailer; the deflate data is zlib's.
 *
 * <p>Corrupt or truncated input fails with an {@link IOException} naming
 * what is wrong; nothing after a member but another member is accepted.
 * Not thread-safe. Closing it does not close the source.
 */
public final class GzipMembers extends ArrayReadStream {

    private static final int INPUT = 64 * 1024;
    private static final int FHCRC = 2;
    private static final int FEXTRA = 4;
    private static final int FNAME = 8;
    private static final int FCOMMENT = 16;
    private static final int RESERVED = 0xE0;

    private final InputStream source;
    private final Inflater inflater = new Inflater(true);
    private final CRC32 crc = new CRC32();
    private final CRC32 headerCrc = new CRC32();
    private final byte[] input = new byte[INPUT];
    /** Bytes of {@link #input} read from the source; those from {@link #next} on are not consumed yet. */
    private int filled;
    private int next;
    /** Whether the inflater holds {@code input[next, filled)} (while inflating a member's body). */
    private boolean inflating;
    private boolean atEnd;
    private boolean first = true;
    private long memberBytes;

    public GzipMembers(InputStream source) {
        this.source = source;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        while (true) {
            if (atEnd) {
                return -1;
            }
            if (!inflating) {
                if (!header()) {
                    atEnd = true;
                    inflater.end();
                    return -1;
                }
                inflater.reset();
                crc.reset();
                memberBytes = 0;
                inflater.setInput(input, next, filled - next);
                inflating = true;
            }
            int n;
            try {
                n = inflater.inflate(b, off, len);
            } catch (DataFormatException e) {
                throw new IOException("corrupt gzip data: " + e.getMessage(), e);
            }
            if (n > 0) {
                crc.update(b, off, n);
                memberBytes += n;
                return n;
            }
            if (inflater.finished()) {
                next = filled - inflater.getRemaining();
                inflating = false;
                trailer();
            } else if (inflater.needsDictionary()) {
                throw new IOException("corrupt gzip data: a preset dictionary is not allowed");
            } else if (inflater.needsInput()) {
                if (!fill()) {
                    throw new EOFException("truncated gzip data: the input ends inside a member");
                }
                inflater.setInput(input, 0, filled);
            }
        }
    }

    /** Reads a member header; false at the end of the input after at least one member. */
    private boolean header() throws IOException {
        int magic0 = nextByte();
        if (magic0 < 0) {
            if (first) {
                throw new EOFException("empty gzip data");
            }
            return false;
        }
        headerCrc.reset();
        headerCrc.update(magic0);
        if (magic0 != 0x1F || headerByte() != 0x8B) {
            throw new IOException(first ? "not gzip data" : "garbage after a gzip member");
        }
        first = false;
        if (headerByte() != 8) {
            throw new IOException("gzip member with a compression method other than deflate");
        }
        int flags = headerByte();
        if ((flags & RESERVED) != 0) {
            throw new IOException("gzip member header with reserved flags set");
        }
        for (int i = 0; i < 6; i++) {
            headerByte(); // MTIME, XFL, OS
        }
        if ((flags & FEXTRA) != 0) {
            int length = headerByte() | headerByte() << 8;
            for (int i = 0; i < length; i++) {
                headerByte();
            }
        }
        if ((flags & FNAME) != 0) {
            while (headerByte() != 0) {
                // the original file name
            }
        }
        if ((flags & FCOMMENT) != 0) {
            while (headerByte() != 0) {
                // a comment
            }
        }
        if ((flags & FHCRC) != 0) {
            int expected = (int) headerCrc.getValue() & 0xFFFF;
            int stored = requiredByte() | requiredByte() << 8;
            if (stored != expected) {
                throw new IOException("corrupt gzip member header: its CRC-16 does not match");
            }
        }
        return true;
    }

    /** Checks a member's trailer: CRC-32 and length (mod 2^32) of its inflated bytes. */
    private void trailer() throws IOException {
        long storedCrc = requiredByte() | requiredByte() << 8 | requiredByte() << 16 | (long) requiredByte() << 24;
        long storedSize = requiredByte() | requiredByte() << 8 | requiredByte() << 16 | (long) requiredByte() << 24;
        if (storedCrc != crc.getValue()) {
            throw new IOException("corrupt gzip data: the CRC-32 of a member does not match");
        }
        if (storedSize != (memberBytes & 0xFFFF_FFFFL)) {
            throw new IOException("corrupt gzip data: the length of a member does not match its trailer");
        }
    }

    private int headerByte() throws IOException {
        int b = requiredByte();
        headerCrc.update(b);
        return b;
    }

    private int requiredByte() throws IOException {
        int b = nextByte();
        if (b < 0) {
            throw new EOFException("truncated gzip data: the input ends inside a member's header or trailer");
        }
        return b;
    }

    private int nextByte() throws IOException {
        if (next == filled && !fill()) {
            return -1;
        }
        return input[next++] & 0xFF;
    }

    /** Reads the next bytes of the source into {@link #input} from its start; false at the source's end. */
    private boolean fill() throws IOException {
        int n;
        do {
            n = source.read(input, 0, input.length);
        } while (n == 0);
        if (n < 0) {
            filled = 0;
            next = 0;
            return false;
        }
        filled = n;
        next = 0;
        return true;
    }

    /** Frees zlib's memory at once (else the inflater's cleaner does, at the end of the input or later). */
    @Override
    public void close() {
        atEnd = true;
        inflater.end();
    }
}
