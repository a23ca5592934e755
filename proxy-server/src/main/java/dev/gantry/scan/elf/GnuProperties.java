package dev.gantry.scan.elf;

/**
 * The GNU property note ({@code NT_GNU_PROPERTY_TYPE_0} in
 * {@code .note.gnu.property} or a {@code PT_NOTE} segment): on x86, the ISA
 * levels an object needs and uses ({@code GNU_PROPERTY_X86_ISA_1_NEEDED} /
 * {@code _USED}, bits baseline=1, v2=2, v3=4, v4=8) and the register states
 * it uses ({@code GNU_PROPERTY_X86_FEATURE_2_USED}); on AArch64, the
 * {@code FEATURE_1_AND} bits (BTI, PAC). The same property numbers mean
 * different things per machine, so the parse switches on {@code e_machine}.
 *
 * @param x86IsaNeeded bit mask, 0 when absent
 * @param x86IsaUsed bit mask, 0 when absent
 * @param x86Feature2Used bit mask (YMM=16, ZMM=32, TMM=1024, MASK=2048), 0 when absent
 * @param aarch64Feature1And bit mask (BTI=1, PAC=2), 0 when absent
 */
public record GnuProperties(long x86IsaNeeded, long x86IsaUsed, long x86Feature2Used, long aarch64Feature1And) {
    public static final GnuProperties NONE = new GnuProperties(0, 0, 0, 0);

    static final int NT_GNU_PROPERTY_TYPE_0 = 5;
    static final long X86_ISA_1_NEEDED = 0xc0008002L;
    static final long X86_ISA_1_USED = 0xc0010002L;
    static final long X86_FEATURE_2_USED = 0xc0010001L;
    static final long AARCH64_FEATURE_1_AND = 0xc0000000L;

    public static final long FEATURE_2_YMM = 16;
    public static final long FEATURE_2_ZMM = 32;
    public static final long FEATURE_2_TMM = 1024;
    public static final long FEATURE_2_MASK = 2048;

    /** The highest x86-64 level (1..4) in the NEEDED mask, or 0. */
    public int x86LevelNeeded() {
        return highestLevel(x86IsaNeeded);
    }

    static int highestLevel(long mask) {
        for (int level = 4; level >= 1; level--) {
            if ((mask & (1L << (level - 1))) != 0) {
                return level;
            }
        }
        return 0;
    }

    /** Reads the property notes of an ELF file; absent or unreadable notes give {@link #NONE}. */
    static GnuProperties read(ElfFile elf) {
        ElfBytes b = elf.bytes();
        long[] acc = new long[4];
        boolean found = false;
        for (ElfFile.Section s : elf.sections()) {
            if (s.type() == ElfFile.SHT_NOTE && elf.contentsAvailable(s)) {
                found |= notes(elf, b, s.offset(), s.size(), acc);
            }
        }
        if (!found) {
            for (ElfFile.Segment seg : elf.segments()) {
                if (seg.type() == ElfFile.PT_NOTE && b.has(seg.offset(), seg.filesz())) {
                    notes(elf, b, seg.offset(), seg.filesz(), acc);
                }
            }
        }
        return acc[0] == 0 && acc[1] == 0 && acc[2] == 0 && acc[3] == 0
                ? NONE : new GnuProperties(acc[0], acc[1], acc[2], acc[3]);
    }

    private static boolean notes(ElfFile elf, ElfBytes b, long offset, long size, long[] acc) {
        boolean found = false;
        long p = offset;
        long end = offset + size;
        while (p + 12 <= end) {
            long namesz = b.u32(p);
            long descsz = b.u32(p + 4);
            long type = b.u32(p + 8);
            long name = p + 12;
            long desc = name + align(namesz, 4);
            // GNU property notes align their descriptor to 8 bytes in 64-bit objects.
            long descAlign = type == NT_GNU_PROPERTY_TYPE_0 && elf.is64() ? 8 : 4;
            desc = offset + align(desc - offset, descAlign);
            if (namesz > size || descsz > size || desc + descsz > end) {
                return found;
            }
            if (type == NT_GNU_PROPERTY_TYPE_0 && namesz == 4 && b.cStringEquals(name, name + 4, GNU)) {
                properties(elf, b, desc, descsz, acc);
                found = true;
            }
            p = offset + align(desc + descsz - offset, descAlign);
        }
        return found;
    }

    private static final byte[] GNU = {'G', 'N', 'U'};

    private static void properties(ElfFile elf, ElfBytes b, long desc, long size, long[] acc) {
        long p = desc;
        long end = desc + size;
        int align = elf.is64() ? 8 : 4;
        while (p + 8 <= end) {
            long type = b.u32(p);
            long datasz = b.u32(p + 4);
            if (datasz > end - p - 8) {
                return;
            }
            long value = datasz >= 4 ? b.u32(p + 8) : 0;
            if (elf.machine() == ElfFile.EM_X86_64 || elf.machine() == ElfFile.EM_386) {
                if (type == X86_ISA_1_NEEDED) {
                    acc[0] |= value;
                } else if (type == X86_ISA_1_USED) {
                    acc[1] |= value;
                } else if (type == X86_FEATURE_2_USED) {
                    acc[2] |= value;
                }
            } else if (elf.machine() == ElfFile.EM_AARCH64 && type == AARCH64_FEATURE_1_AND) {
                acc[3] |= value;
            }
            p += 8 + align(datasz, align);
        }
    }

    private static long align(long v, long a) {
        return (v + a - 1) & -a;
    }
}
