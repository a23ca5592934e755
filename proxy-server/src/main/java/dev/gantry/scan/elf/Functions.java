package dev.gantry.scan.elf;

import java.util.ArrayList;
import java.util.List;

/**
 * Where the functions of an ELF file lie, so only code is decoded: the
 * {@code STT_FUNC}/{@code STT_GNU_IFUNC} symbols with their sizes (from
 * {@code .symtab}, or {@code .dynsym} in a stripped file) and the FDE ranges
 * of {@code .eh_frame}, which cover a stripped file's internal functions. A
 * symbol without a size ends at the next symbol of any type (a constant
 * table's object symbol included). Bytes of an executable
 * section outside every range (literal pools, jump tables, constant tables
 * that hand-written assembly keeps in {@code .text}, padding) are not decoded.
 * A range that starts inside another (an FDE that begins after its
 * function's first instructions) is merged into it, so no byte is decoded
 * twice. While walking the symbol table it also records what
 * {@link ProbeSites} needs from it.
 *
 * <p>Indexes are in address order. Bounded: at most {@link #MAX_FUNCTIONS}
 * ranges are kept; a file with more is analysed section by section.
 */
final class Functions {
    /** Function ranges kept at most (libLLVM has about 100,000). */
    static final int MAX_FUNCTIONS = 1 << 19;
    static final int SHN_LORESERVE = 0xFF00;

    final int count;
    /** Start address, file offset and length of each function. */
    final long[] vaddr;
    final int[] offset;
    final int[] length;
    /** Whether the file had no symbol or FDE for its code: one pseudo-function per executable section. */
    final boolean sectionsOnly;

    private Functions(long[] vaddr, int[] offset, int[] length, boolean sectionsOnly) {
        this.count = vaddr.length;
        this.vaddr = vaddr;
        this.offset = offset;
        this.length = length;
        this.sectionsOnly = sectionsOnly;
    }

    /** Built by {@link #index()}; null until then ({@link #at} then searches all functions). */
    private AddressIndex index;

    /**
     * Builds the address index that makes {@link #at} search only the functions of one slot
     * ({@link AddressIndex#BYTES_PER_FUNCTION} bytes per function).
     */
    void index() {
        if (index == null && count > 0) {
            index = AddressIndex.of(vaddr, count);
        }
    }

    /** The index of the function whose range holds {@code address}, or -1. */
    int at(long address) {
        int lo = 0;
        int hi = count - 1;
        if (index != null) {
            if (address < vaddr[0]) {
                return -1;
            }
            long range = index.candidates(address);
            lo = (int) (range >>> 32);
            hi = (int) range;
        }
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (vaddr[mid] <= address) {
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return hi >= 0 && address - vaddr[hi] < length[hi] ? hi : -1;
    }

    /** The index of the function holding file offset {@code off}, or -1. */
    int atOffset(long off) {
        for (int lo = 0, hi = count - 1; lo <= hi; ) {
            int mid = (lo + hi) >>> 1;
            if (off < offset[mid]) {
                hi = mid - 1;
            } else if (off >= (long) offset[mid] + length[mid]) {
                lo = mid + 1;
            } else {
                return mid;
            }
        }
        return -1;
    }

    /** The executable sections with contents in the bytes read, clipped to them. */
    static List<ElfFile.Section> codeSections(ElfFile elf) {
        List<ElfFile.Section> out = new ArrayList<>();
        int length = elf.bytes().length();
        for (ElfFile.Section s : elf.sections()) {
            if (s.executable() && s.offset() < length && s.size() > 0) {
                out.add(new ElfFile.Section(s.name(), s.type(), s.flags(), s.addr(), s.offset(),
                        Math.min(s.size(), length - s.offset()), s.link(), s.entsize()));
            }
        }
        return out;
    }

    /**
     * The functions of a file with section headers, from its symbols (walked with
     * {@code sites}, which records probes, resolvers and variants on the way) and FDEs.
     * Falls back to one range per executable section when neither names any code
     * or there are more than {@link #MAX_FUNCTIONS}.
     */
    static Functions build(ElfFile elf, ProbeSites sites) {
        List<ElfFile.Section> code = codeSections(elf);
        if (code.isEmpty()) {
            return new Functions(new long[0], new int[0], new int[0], true);
        }
        CodeRanges ranges = new CodeRanges(code);
        LongList starts = new LongList(MAX_FUNCTIONS);
        LongList sizes = new LongList(MAX_FUNCTIONS);
        ElfFile.Section symtab = table(elf, ElfFile.SHT_SYMTAB);
        ElfFile.Section walked = symtab != null ? symtab : table(elf, ElfFile.SHT_DYNSYM);
        if (walked != null) {
            sites.walkSymbols(elf, walked, (value, size) -> {
                if (ranges.contains(value) && !starts.full()) {
                    starts.add(value);
                    sizes.add(size);
                }
            });
        }
        for (ElfFile.Section s : elf.sections()) {
            if (".eh_frame".equals(s.name())) {
                EhFrame.read(elf, s, (start, size) -> {
                    if (ranges.contains(start) && size > 0) {
                        starts.add(start);
                        sizes.add(size);
                    }
                    return !starts.full();
                });
            }
        }
        if (starts.size() == 0 || starts.full() || elf.type() == ElfFile.ET_REL) {
            return bySection(code);
        }
        Functions f = merge(ranges, starts, sizes);
        if (elf.machine() == ElfFile.EM_AARCH64) {
            f.cutLiteralPools(elf.bytes());
        }
        return f;
    }

    /**
     * Ends each arm64 function where its literal pool begins: the lowest address its
     * PC-relative literal loads ({@code LDR}/{@code LDRSW}/{@code PRFM} (literal), SIMD
     * {@code LDR} (literal)) read inside the function. Assemblers put the pool after the
     * function's last instruction (Go's assembler always does; {@code .ltorg} at the end of
     * hand-written code), and symbol sizes include it, so its constants would otherwise be
     * decoded as instructions (SVE encodings from Go's {@code runtime.call*} pools). Words are
     * scanned only up to the pool found so far, so data is never taken for a load.
     */
    private void cutLiteralPools(ElfBytes b) {
        for (int i = 0; i < count; i++) {
            long pool = length[i];
            for (long at = 0; at + 4 <= pool && offset[i] + at + 4 <= b.length(); at += 4) {
                int insn = (int) b.u32(offset[i] + at);
                boolean literal = (insn & 0xBF000000) == 0x18000000 || (insn & 0xFF000000) == 0x98000000
                        || (insn & 0xFF000000) == 0xD8000000 || (insn & 0x3F000000) == 0x1C000000;
                if (literal) {
                    long target = at + ((long) (insn << 8 >> 13) << 2); // imm19 at bits 5..23, in words
                    if (target > at && target < pool && (vaddr[i] + target & 3) == 0) {
                        pool = target;
                    }
                }
            }
            length[i] = (int) pool;
        }
    }

    private static ElfFile.Section table(ElfFile elf, int type) {
        for (ElfFile.Section s : elf.sections()) {
            if (s.type() == type && elf.contentsAvailable(s) && s.link() > 0 && s.link() < elf.sections().size()
                    && elf.contentsAvailable(elf.sections().get(s.link()))) {
                return s;
            }
        }
        return null;
    }

    private static Functions bySection(List<ElfFile.Section> code) {
        List<ElfFile.Section> sorted = new ArrayList<>(code);
        sorted.sort((a, b) -> Long.compare(a.addr(), b.addr()));
        int n = sorted.size();
        long[] v = new long[n];
        int[] o = new int[n];
        int[] l = new int[n];
        for (int i = 0; i < n; i++) {
            v[i] = sorted.get(i).addr();
            o[i] = (int) sorted.get(i).offset();
            l[i] = (int) sorted.get(i).size();
        }
        return new Functions(v, o, l, true);
    }

    /** Sorts by start, merges aliases (longest wins), gives sizeless symbols the room up to the next start. */
    private static Functions merge(CodeRanges code, LongList starts, LongList sizes) {
        int n = starts.size();
        long min = Long.MAX_VALUE;
        for (int i = 0; i < n; i++) {
            min = Math.min(min, starts.get(i));
        }
        long[] order = new long[n]; // (start - min) << 20 | index: sorts by start without boxing
        for (int i = 0; i < n; i++) {
            order[i] = (starts.get(i) - min) << 20 | i;
        }
        java.util.Arrays.sort(order);
        long[] v = new long[n];
        long[] end = new long[n];
        int m = 0;
        for (int k = 0; k < n; k++) {
            int i = (int) (order[k] & 0xFFFFF);
            long s = starts.get(i);
            long size = sizes.get(i);
            long e = s + Math.max(0, Math.min(size, 1L << 31));
            if (size < 0) {
                e = -1; // a boundary only: ends a sizeless function, is none
            }
            if (m > 0 && v[m - 1] == s) {
                end[m - 1] = Math.max(end[m - 1], e);
            } else {
                v[m] = s;
                end[m] = e;
                m++;
            }
        }
        long[] vaddr = new long[m];
        int[] off = new int[m];
        int[] len = new int[m];
        int kept = 0;
        long keptEnd = Long.MIN_VALUE;
        for (int i = 0; i < m; i++) {
            if (end[i] < 0) {
                continue; // a boundary that is no function
            }
            ElfFile.Section s = code.section(v[i]);
            if (s == null) {
                continue; // in code only where sections overlap beyond reason
            }
            long limit = s.addr() + s.size();
            long e = end[i] == v[i] ? (i + 1 < m ? v[i + 1] : limit) : end[i]; // sizeless: up to the next
            e = Math.min(e, limit);
            if (v[i] < keptEnd) {
                // Inside the previous function (an FDE that starts after its symbol's first
                // instructions): one function, extended if this one reaches further.
                if (e > keptEnd) {
                    len[kept - 1] = (int) (e - vaddr[kept - 1]);
                    keptEnd = e;
                }
                continue;
            }
            if (e > v[i]) {
                vaddr[kept] = v[i];
                off[kept] = (int) (v[i] - s.addr() + s.offset());
                len[kept] = (int) (e - v[i]);
                keptEnd = e;
                kept++;
            }
        }
        return new Functions(java.util.Arrays.copyOf(vaddr, kept), java.util.Arrays.copyOf(off, kept),
                java.util.Arrays.copyOf(len, kept), false);
    }
}
