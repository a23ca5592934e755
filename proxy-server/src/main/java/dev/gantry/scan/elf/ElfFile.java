package dev.gantry.scan.elf;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The headers of an ELF file, read through a bounded view of it ({@link ElfBytes}): class, byte order, type,
 * machine, section and program headers. Parses 32- and 64-bit, little- and
 * big-endian files. When only a prefix of the file was read (it exceeded the
 * per-file limit), tables outside the prefix are reported as unavailable
 * rather than as an error; in a file read whole, they are an
 * {@link ElfFormatException}.
 */
public final class ElfFile {
    public static final int ET_REL = 1;
    public static final int ET_EXEC = 2;
    public static final int ET_DYN = 3;
    public static final int EM_386 = 3;
    public static final int EM_ARM = 40;
    public static final int EM_X86_64 = 62;
    public static final int EM_AARCH64 = 183;
    public static final int SHT_PROGBITS = 1;
    public static final int SHT_SYMTAB = 2;
    public static final int SHT_RELA = 4;
    public static final int SHT_DYNAMIC = 6;
    public static final int SHT_NOTE = 7;
    public static final int SHT_NOBITS = 8;
    public static final int SHT_REL = 9;
    public static final int SHT_DYNSYM = 11;
    public static final long SHF_EXECINSTR = 0x4;
    public static final int PT_LOAD = 1;
    public static final int PT_DYNAMIC = 2;
    public static final int PT_INTERP = 3;
    public static final int PT_NOTE = 4;
    public static final int PF_X = 1;
    /** Sections read at most: real files have a few dozen (a few thousand for -ffunction-sections objects). */
    static final int MAX_SECTIONS = 1 << 16;

    /** A section header; {@code name} is null when the name table is unavailable. */
    public record Section(String name, int type, long flags, long addr, long offset, long size, int link, long entsize) {
        public boolean executable() {
            return (flags & SHF_EXECINSTR) != 0 && type == SHT_PROGBITS;
        }
    }

    /** A program header. */
    public record Segment(int type, int flags, long offset, long vaddr, long filesz) {
    }

    private final ElfBytes bytes;
    private final boolean is64;
    private final int type;
    private final int machine;
    private final List<Section> sections;
    private final List<Segment> segments;
    private final boolean sectionsAvailable;

    private ElfFile(ElfBytes bytes, boolean is64, int type, int machine, List<Section> sections,
            List<Segment> segments, boolean sectionsAvailable) {
        this.bytes = bytes;
        this.is64 = is64;
        this.type = type;
        this.machine = machine;
        this.sections = sections;
        this.segments = segments;
        this.sectionsAvailable = sectionsAvailable;
    }

    /** Whether the first bytes are the ELF magic. */
    public static boolean isElf(byte[] buf, int length) {
        return length >= 4 && buf[0] == 0x7F && buf[1] == 'E' && buf[2] == 'L' && buf[3] == 'F';
    }

    /**
     * Parses the headers of the ELF file whose first {@code length} bytes are in
     * {@code buf}; {@code fileSize} is the whole file's size.
     *
     * @throws ElfFormatException when the file is truncated or malformed
     */
    public static ElfFile parse(byte[] buf, int length, long fileSize) {
        return parse(ByteBuffer.wrap(buf), length, fileSize);
    }

    /**
     * Parses the headers of the ELF file whose first {@code length} bytes are
     * readable at indexes {@code [0, length)} of {@code buf} (a heap buffer or a
     * read-only mapping of the file); the buffer is read, never modified, and
     * must stay valid while the result is used.
     *
     * @throws ElfFormatException when the file is truncated or malformed
     */
    public static ElfFile parse(ByteBuffer buf, int length, long fileSize) {
        if (length < 4 || buf.get(0) != 0x7F || buf.get(1) != 'E' || buf.get(2) != 'L' || buf.get(3) != 'F') {
            throw new ElfFormatException("not an ELF file");
        }
        if (length < 16) {
            throw new ElfFormatException("truncated ELF identification");
        }
        int elfClass = buf.get(4);
        int data = buf.get(5);
        if ((elfClass != 1 && elfClass != 2) || (data != 1 && data != 2)) {
            throw new ElfFormatException("bad ELF class " + elfClass + " or data encoding " + data);
        }
        boolean is64 = elfClass == 2;
        ElfBytes b = new ElfBytes(buf, length, data == 2);
        b.require(0, is64 ? 64 : 52, "ELF header");
        int type = b.u16(16);
        int machine = b.u16(18);
        long phoff = b.word(is64 ? 32 : 28, is64);
        long shoff = b.word(is64 ? 40 : 32, is64);
        int phentsize = b.u16(is64 ? 54 : 42);
        int phnum = b.u16(is64 ? 56 : 44);
        int shentsize = b.u16(is64 ? 58 : 46);
        int shnum = b.u16(is64 ? 60 : 48);
        int shstrndx = b.u16(is64 ? 62 : 50);
        boolean whole = length >= fileSize;

        List<Segment> segments = new ArrayList<>();
        if (phnum > 0) {
            if (phentsize < (is64 ? 56 : 32)) {
                throw new ElfFormatException("program header entry size " + phentsize + " too small");
            }
            b.require(phoff, (long) phnum * phentsize, "program header table");
            for (int i = 0; i < phnum; i++) {
                long o = phoff + (long) i * phentsize;
                int ptype = (int) b.u32(o);
                if (is64) {
                    segments.add(new Segment(ptype, (int) b.u32(o + 4), b.u64(o + 8), b.u64(o + 16), b.u64(o + 32)));
                } else {
                    segments.add(new Segment(ptype, (int) b.u32(o + 24), b.u32(o + 4), b.u32(o + 8), b.u32(o + 16)));
                }
            }
        }

        List<Section> sections = new ArrayList<>();
        boolean sectionsAvailable = shoff != 0;
        if (shoff != 0) {
            if (shentsize < (is64 ? 64 : 40)) {
                throw new ElfFormatException("section header entry size " + shentsize + " too small");
            }
            if (!b.has(shoff, shentsize)) {
                if (whole) {
                    throw new ElfFormatException("section header table at " + shoff + " lies beyond the file's "
                            + fileSize + " bytes (truncated)");
                }
                sectionsAvailable = false;
            } else {
                if (shnum == 0) {
                    shnum = (int) Math.min(b.word(shoff + (is64 ? 32 : 20), is64), 0xFFFFFF); // extended numbering
                }
                if (shstrndx == 0xFFFF) {
                    shstrndx = (int) b.u32(shoff + (is64 ? 40 : 24));
                }
                if (shnum > MAX_SECTIONS) {
                    // Each section costs a record on the heap: a forged count must not fill it.
                    throw new ElfFormatException(shnum + " sections, more than the " + MAX_SECTIONS + " analysed");
                }
                if (!b.has(shoff, (long) shnum * shentsize)) {
                    if (whole) {
                        throw new ElfFormatException("section header table of " + shnum
                                + " entries runs past the end of the file (truncated)");
                    }
                    sectionsAvailable = false;
                } else {
                    readSections(b, is64, shoff, shentsize, shnum, shstrndx, sections);
                    checkCoverage(sections, fileSize);
                }
            }
        }
        return new ElfFile(b, is64, type, machine, List.copyOf(sections), List.copyOf(segments), sectionsAvailable);
    }

    /**
     * Refuses sections that overlap far beyond the file: a linker lays them end to end, so together they
     * cover the file at most once, but 65,535 headers of one 100 MiB range would have every walk over the
     * sections of a kind (notes, unwind tables, PLTs) read it 65,535 times. Past twice the file (and 64 KiB)
     * the file is not analysed; so no such walk reads more than that.
     */
    private static void checkCoverage(List<Section> sections, long fileSize) {
        long covered = 0;
        for (Section s : sections) {
            if (s.type() != SHT_NOBITS && s.offset() >= 0 && s.offset() < fileSize && s.size() > 0) {
                covered += Math.min(s.size(), fileSize - s.offset());
                if (covered > 2 * fileSize + (64 << 10)) {
                    throw new ElfFormatException("its sections overlap: together they cover more than twice the file's "
                            + fileSize + " bytes");
                }
            }
        }
    }

    private static void readSections(ElfBytes b, boolean is64, long shoff, int shentsize, int shnum, int shstrndx,
            List<Section> out) {
        long[] nameOff = new long[shnum];
        Section[] raw = new Section[shnum];
        for (int i = 0; i < shnum; i++) {
            long o = shoff + (long) i * shentsize;
            nameOff[i] = b.u32(o);
            int stype = (int) b.u32(o + 4);
            if (is64) {
                raw[i] = new Section(null, stype, b.u64(o + 8), b.u64(o + 16), b.u64(o + 24), b.u64(o + 32),
                        (int) b.u32(o + 40), b.u64(o + 56));
            } else {
                raw[i] = new Section(null, stype, b.u32(o + 8), b.u32(o + 12), b.u32(o + 16), b.u32(o + 20),
                        (int) b.u32(o + 24), b.u32(o + 36));
            }
        }
        Section names = shstrndx > 0 && shstrndx < shnum ? raw[shstrndx] : null;
        for (int i = 0; i < shnum; i++) {
            String name = null;
            if (names != null && names.type() != SHT_NOBITS && nameOff[i] < names.size()) {
                name = b.cString(names.offset() + nameOff[i], names.offset() + names.size(), 256);
            }
            Section s = raw[i];
            out.add(new Section(name, s.type(), s.flags(), s.addr(), s.offset(), s.size(), s.link(), s.entsize()));
        }
    }

    public boolean is64() {
        return is64;
    }

    public int type() {
        return type;
    }

    public int machine() {
        return machine;
    }

    public List<Section> sections() {
        return sections;
    }

    public List<Segment> segments() {
        return segments;
    }

    /** False when the section headers lie beyond the bytes read (or the file has none). */
    public boolean sectionsAvailable() {
        return sectionsAvailable;
    }

    /** The first section of this name, or null. */
    public Section section(String name) {
        for (Section s : sections) {
            if (name.equals(s.name())) {
                return s;
            }
        }
        return null;
    }

    /** Whether the file is a program (has an interpreter, or is a static executable), not only a library. */
    public boolean isProgram() {
        if (type == ET_EXEC) {
            return true;
        }
        for (Segment s : segments) {
            if (s.type() == PT_INTERP) {
                return true;
            }
        }
        return false;
    }

    /** The file offset of a virtual address, through the PT_LOAD segments, or -1. */
    public long offsetOf(long vaddr) {
        for (Segment s : segments) {
            if (s.type() == PT_LOAD && vaddr >= s.vaddr() && vaddr - s.vaddr() < s.filesz()) {
                return s.offset() + (vaddr - s.vaddr());
            }
        }
        return -1;
    }

    /** Whether the section's contents are in the bytes read. */
    public boolean contentsAvailable(Section s) {
        return s.type() != SHT_NOBITS && bytes.has(s.offset(), s.size());
    }

    ElfBytes bytes() {
        return bytes;
    }
}
