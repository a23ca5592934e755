package dev.gantry.scan.elf;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * What the dynamic loader reads from an ELF file to load it and its
 * dependencies: the {@code PT_INTERP} program interpreter, {@code DT_SONAME},
 * the {@code DT_NEEDED} sonames and the {@code DT_RPATH}/{@code DT_RUNPATH}
 * search lists, as written (split on {@code :}, {@code $ORIGIN} not expanded).
 * Tables beyond the bytes read are left out, never an error.
 *
 * @param interpreter the {@code PT_INTERP} path, or null (a library, a static program)
 * @param soname {@code DT_SONAME}, or null
 * @param needed {@code DT_NEEDED} sonames in file order (at most {@value #MAX_NEEDED})
 * @param rpath {@code DT_RPATH} entries
 * @param runpath {@code DT_RUNPATH} entries
 */
public record ElfLinks(String interpreter, String soname, List<String> needed, List<String> rpath,
        List<String> runpath) {
    static final int DT_NEEDED = 1;
    static final int DT_STRTAB = 5;
    static final int DT_STRSZ = 10;
    static final int DT_SONAME = 14;
    static final int DT_RPATH = 15;
    static final int DT_RUNPATH = 29;
    static final int MAX_NEEDED = 256;
    /** Bytes of one string read at most: PATH_MAX for the interpreter and search lists. */
    static final int MAX_STRING = 4096;

    public ElfLinks {
        needed = List.copyOf(needed);
        rpath = List.copyOf(rpath);
        runpath = List.copyOf(runpath);
    }

    /**
     * Reads the loader's facts of the ELF file whose first {@code length} bytes are readable at
     * {@code [0, length)} of {@code buf}.
     *
     * @throws ElfFormatException when the headers are malformed
     */
    public static ElfLinks read(ByteBuffer buf, int length, long fileSize) {
        return read(ElfFile.parse(buf, length, fileSize));
    }

    static ElfLinks read(ElfFile elf) {
        ElfBytes b = elf.bytes();
        String interpreter = null;
        long dynOff = -1;
        long dynSize = 0;
        for (ElfFile.Segment seg : elf.segments()) {
            if (seg.type() == ElfFile.PT_INTERP && interpreter == null && b.has(seg.offset(), seg.filesz())) {
                interpreter = b.cString(seg.offset(), seg.offset() + seg.filesz(), MAX_STRING);
            } else if (seg.type() == ElfFile.PT_DYNAMIC && b.has(seg.offset(), seg.filesz())) {
                dynOff = seg.offset();
                dynSize = seg.filesz();
            }
        }
        if (dynOff < 0) {
            for (ElfFile.Section s : elf.sections()) {
                if (s.type() == ElfFile.SHT_DYNAMIC && elf.contentsAvailable(s)) {
                    dynOff = s.offset();
                    dynSize = s.size();
                    break;
                }
            }
        }
        List<String> needed = new ArrayList<>();
        List<String> rpath = new ArrayList<>();
        List<String> runpath = new ArrayList<>();
        String soname = null;
        if (dynOff < 0) {
            return new ElfLinks(interpreter, null, needed, rpath, runpath);
        }
        int entry = elf.is64() ? 16 : 8;
        long strOff = -1;
        long strSize = 0;
        List<long[]> strings = new ArrayList<>(); // {tag, offset into the string table}
        for (long p = dynOff; p + entry <= dynOff + dynSize && b.has(p, entry); p += entry) {
            long tag = b.word(p, elf.is64());
            long val = b.word(p + entry / 2, elf.is64());
            if (tag == 0) {
                break;
            }
            if (tag == DT_STRTAB) {
                strOff = elf.offsetOf(val);
            } else if (tag == DT_STRSZ) {
                strSize = val;
            } else if ((tag == DT_NEEDED && strings.size() < MAX_NEEDED) || tag == DT_SONAME || tag == DT_RPATH
                    || tag == DT_RUNPATH) {
                strings.add(new long[] {tag, val});
            }
        }
        if (strOff < 0) {
            return new ElfLinks(interpreter, null, needed, rpath, runpath);
        }
        long strEnd = strSize > 0 ? strOff + strSize : b.length();
        for (long[] s : strings) {
            String text = b.cString(strOff + s[1], strEnd, MAX_STRING);
            if (text == null || text.isEmpty()) {
                continue;
            }
            switch ((int) s[0]) {
                case DT_NEEDED -> needed.add(text);
                case DT_SONAME -> soname = text;
                case DT_RPATH -> split(text, rpath);
                case DT_RUNPATH -> split(text, runpath);
                default -> throw new IllegalStateException();
            }
        }
        return new ElfLinks(interpreter, soname, needed, rpath, runpath);
    }

    private static void split(String list, List<String> out) {
        for (String dir : list.split(":")) {
            if (!dir.isEmpty()) {
                out.add(dir);
            }
        }
    }
}
