package dev.gantry.scan.elf;

/**
 * Bounds-checked little/big-endian reads over the first {@code length} bytes
 * of a buffer: every offset comes from the untrusted file, so every read is
 * checked and a bad offset becomes an {@link ElfFormatException}, never an
 * {@link ArrayIndexOutOfBoundsException}.
 */
final class ElfBytes {
    private final byte[] buf;
    private final int length;
    private final boolean bigEndian;

    ElfBytes(byte[] buf, int length, boolean bigEndian) {
        this.buf = buf;
        this.length = length;
        this.bigEndian = bigEndian;
    }

    byte[] array() {
        return buf;
    }

    int length() {
        return length;
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
        return buf[(int) off] & 0xFF;
    }

    int u16(long off) {
        require(off, 2, "half-word");
        int o = (int) off;
        int a = buf[o] & 0xFF;
        int b = buf[o + 1] & 0xFF;
        return bigEndian ? (a << 8) | b : (b << 8) | a;
    }

    long u32(long off) {
        require(off, 4, "word");
        int o = (int) off;
        long v = 0;
        for (int i = 0; i < 4; i++) {
            int shift = bigEndian ? (3 - i) * 8 : i * 8;
            v |= (long) (buf[o + i] & 0xFF) << shift;
        }
        return v;
    }

    long u64(long off) {
        require(off, 8, "double word");
        int o = (int) off;
        long v = 0;
        for (int i = 0; i < 8; i++) {
            int shift = bigEndian ? (7 - i) * 8 : i * 8;
            v |= (long) (buf[o + i] & 0xFF) << shift;
        }
        return v;
    }

    /** A word or double word by ELF class; 64-bit values above 2^63 read as negative and fail range checks. */
    long word(long off, boolean is64) {
        return is64 ? u64(off) : u32(off);
    }

    /** A NUL-terminated string of at most {@code max} bytes starting inside [start, end), or null when unterminated. */
    String cString(long off, long end, int max) {
        if (off < 0 || off >= Math.min(end, length)) {
            return null;
        }
        int o = (int) off;
        int stop = (int) Math.min(Math.min(end, length), off + max);
        for (int i = o; i < stop; i++) {
            if (buf[i] == 0) {
                return new String(buf, o, i - o, java.nio.charset.StandardCharsets.ISO_8859_1);
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
            if (buf[o + i] != ascii[i]) {
                return false;
            }
        }
        return buf[o + ascii.length] == 0;
    }
}
