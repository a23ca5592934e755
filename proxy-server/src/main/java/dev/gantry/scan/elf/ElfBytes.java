package dev.gantry.scan.elf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Bounds-checked little/big-endian reads over the first {@code length} bytes
 * of a read-only view of a file: a heap buffer for a small file, a mapping of
 * the spooled file for a big one, so a big file is never copied onto the heap
 * (the OS pages it in and out). Every offset comes from the untrusted file,
 * so every read is checked and a bad offset becomes an
 * {@link ElfFormatException}, never an {@link IndexOutOfBoundsException}.
 * Strings are decoded from at most a bounded number of bytes; code is copied
 * out in bounded windows by {@link #copy}.
 */
final class ElfBytes {
    private final ByteBuffer buf;
    private final int length;

    /** @param buf the file's bytes from index 0; only absolute reads are used, so its position does not matter */
    ElfBytes(ByteBuffer buf, int length, boolean bigEndian) {
        this.buf = buf.duplicate().order(bigEndian ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
        this.length = length;
    }

    int length() {
        return length;
    }

    /** The backing array when the bytes are on the heap already (indexes are file offsets), else null. */
    byte[] heapArray() {
        return buf.hasArray() && buf.arrayOffset() == 0 && !buf.isReadOnly() ? buf.array() : null;
    }

    boolean has(long offset, long size) {
        return offset >= 0 && size >= 0 && offset <= length && size <= length - offset;
    }

    void require(long offset, long size, String what) {
        if (!has(offset, size)) {
            throw new ElfFormatException(what + " at offset " + offset + " (+" + size + ") is outside the "
                    + length + " bytes read");
        }
    }

    int u8(long off) {
        require(off, 1, "byte");
        return buf.get((int) off) & 0xFF;
    }

    int u16(long off) {
        require(off, 2, "half-word");
        return buf.getShort((int) off) & 0xFFFF;
    }

    long u32(long off) {
        require(off, 4, "word");
        return buf.getInt((int) off) & 0xFFFFFFFFL;
    }

    long u64(long off) {
        require(off, 8, "double word");
        return buf.getLong((int) off);
    }

    /** A word or double word by ELF class; 64-bit values above 2^63 read as negative and fail range checks. */
    long word(long off, boolean is64) {
        return is64 ? u64(off) : u32(off);
    }

    /** Copies {@code n} bytes at {@code off} into {@code dst[0..n)}: how code reaches the decoders, a window at a time. */
    void copy(long off, byte[] dst, int n) {
        require(off, n, "code");
        buf.get((int) off, dst, 0, n);
    }

    /** {@code n} bytes at {@code off} as a string (the range must have been checked against the file). */
    String string(long off, int n, java.nio.charset.Charset charset) {
        require(off, n, "string");
        byte[] b = new byte[n];
        buf.get((int) off, b, 0, n);
        return new String(b, charset);
    }

    /** A NUL-terminated string of at most {@code max} bytes starting inside [start, end), or null when unterminated. */
    String cString(long off, long end, int max) {
        if (off < 0 || off >= Math.min(end, length)) {
            return null;
        }
        int o = (int) off;
        int stop = (int) Math.min(Math.min(end, length), off + max);
        for (int i = o; i < stop; i++) {
            if (buf.get(i) == 0) {
                return string(o, i - o, StandardCharsets.ISO_8859_1);
            }
        }
        return null;
    }

    /** Whether the NUL-terminated string at {@code off} equals {@code ascii}, without allocating. */
    boolean cStringEquals(long off, long end, byte[] ascii) {
        long stop = Math.min(end, length);
        if (off < 0 || off + ascii.length >= stop) {
            return false;
        }
        int o = (int) off;
        for (int i = 0; i < ascii.length; i++) {
            if (buf.get(o + i) != ascii[i]) {
                return false;
            }
        }
        return buf.get(o + ascii.length) == 0;
    }

    /** Whether the string at {@code off} starts with {@code ascii}, without allocating. */
    boolean startsWith(long off, long end, byte[] ascii) {
        long stop = Math.min(end, length);
        if (off < 0 || off + ascii.length > stop) {
            return false;
        }
        int o = (int) off;
        for (int i = 0; i < ascii.length; i++) {
            if (buf.get(o + i) != ascii[i]) {
                return false;
            }
        }
        return true;
    }
}
