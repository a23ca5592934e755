package dev.gantry.scan.elf;

/**
 * Reads the address ranges of the Frame Description Entries of an
 * {@code .eh_frame} section (the Linux Standard Base's format: CIEs with a
 * {@code z}-augmentation giving the pointer encoding, FDEs with their initial
 * location and length): one per function a compiler or a CFI-annotated
 * assembler emitted, so a stripped file still says where its functions lie.
 * Every field comes from the untrusted file: a malformed entry ends the walk,
 * never the analysis.
 */
final class EhFrame {
    /** Receives one FDE's code range. */
    interface Sink {
        /** @return false to stop the walk */
        boolean range(long vaddr, long size);
    }

    private static final int DW_EH_PE_OMIT = 0xFF;

    private EhFrame() {
    }

    /** Calls {@code sink} for each FDE of the section; returns quietly at the first malformed entry. */
    static void read(ElfFile elf, ElfFile.Section s, Sink sink) {
        ElfBytes b = elf.bytes();
        if (!elf.contentsAvailable(s)) {
            return;
        }
        long p = s.offset();
        long end = s.offset() + s.size();
        long cachedCie = -1;
        int cachedEnc = -1;
        long[] out = new long[1];
        try {
            while (p + 4 <= end) {
                long len = b.u32(p);
                if (len == 0) {
                    break; // terminator
                }
                long body = p + 4;
                if (len == 0xFFFFFFFFL) {
                    len = b.u64(p + 4);
                    body = p + 12;
                }
                long next = body + len;
                if (len < 4 || next > end || next < body) {
                    break;
                }
                long id = b.u32(body);
                if (id != 0) {
                    long cie = body - id;
                    if (cie != cachedCie) {
                        cachedEnc = cieEncoding(b, cie, end, elf.is64());
                        cachedCie = cie;
                    }
                    if (cachedEnc >= 0) {
                        long at = body + 4;
                        long vaddrOf = s.addr() - s.offset();
                        int n = pointer(b, at, cachedEnc, vaddrOf, elf.is64(), out);
                        long start = out[0];
                        if (n > 0 && pointer(b, at + n, cachedEnc & 0x0F, 0, elf.is64(), out) > 0
                                && !sink.range(start, out[0])) {
                            return;
                        }
                    }
                }
                p = next;
            }
        } catch (ElfFormatException e) {
            // a truncated or forged entry: the ranges found so far stand
        }
    }

    /** The FDE pointer encoding of the CIE at {@code cie}, or -1 when it is malformed or unsupported. */
    private static int cieEncoding(ElfBytes b, long cie, long end, boolean is64) {
        if (cie < 0 || cie + 9 > end) {
            return -1;
        }
        long len = b.u32(cie);
        long body = cie + 4;
        if (len == 0xFFFFFFFFL) {
            return -1; // 64-bit DWARF CIEs do not occur in .eh_frame of real files
        }
        if (b.u32(body) != 0) {
            return -1;
        }
        int version = b.u8(body + 4);
        long p = body + 5;
        long augStart = p;
        while (b.u8(p) != 0) {
            if (p - augStart > 16) {
                return -1;
            }
            p++;
        }
        long aug = augStart;
        p++;
        if (version >= 4) {
            p += 2; // address size, segment size
        }
        p = skipLeb(b, p); // code alignment
        p = skipLeb(b, p); // data alignment
        p = version == 1 ? p + 1 : skipLeb(b, p); // return register
        if (b.u8(aug) != 'z') {
            return is64 ? 0x04 : 0x03; // no augmentation data: absolute pointers
        }
        p = skipLeb(b, p); // augmentation data length
        for (long a = aug + 1; b.u8(a) != 0; a++) {
            int c = b.u8(a);
            if (c == 'R') {
                return b.u8(p);
            } else if (c == 'P') {
                int enc = b.u8(p);
                int n = pointer(b, p + 1, enc, 0, is64, new long[1]);
                if (n <= 0) {
                    return -1;
                }
                p += 1 + n;
            } else if (c == 'L') {
                p++;
            } else if (c != 'S' && c != 'B' && c != 'G') {
                return -1;
            }
        }
        return is64 ? 0x04 : 0x03;
    }

    private static long skipLeb(ElfBytes b, long p) {
        for (int i = 0; i < 10; i++) {
            if ((b.u8(p++) & 0x80) == 0) {
                return p;
            }
        }
        throw new ElfFormatException("LEB128 too long");
    }

    /**
     * Reads an encoded pointer at {@code at} into {@code out[0]}; {@code vaddrOf} turns a file
     * offset into its address (for pc-relative values). Returns the bytes read, or -1 when the
     * encoding is not one compilers use.
     */
    private static int pointer(ElfBytes b, long at, int enc, long vaddrOf, boolean is64, long[] out) {
        if (enc == DW_EH_PE_OMIT) {
            return -1;
        }
        long v;
        int n;
        switch (enc & 0x0F) {
            case 0x00 -> {
                n = is64 ? 8 : 4;
                v = is64 ? b.u64(at) : b.u32(at);
            }
            case 0x02 -> {
                n = 2;
                v = b.u16(at);
            }
            case 0x03 -> {
                n = 4;
                v = b.u32(at);
            }
            case 0x04, 0x0C -> {
                n = 8;
                v = b.u64(at);
            }
            case 0x0A -> {
                n = 2;
                v = (short) b.u16(at);
            }
            case 0x0B -> {
                n = 4;
                v = (int) b.u32(at);
            }
            default -> {
                return -1;
            }
        }
        switch (enc & 0x70) {
            case 0x00 -> {
                // absolute
            }
            case 0x10 -> v += at + vaddrOf; // pc-relative
            default -> {
                return -1;
            }
        }
        out[0] = v;
        return n;
    }
}
