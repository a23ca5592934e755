package dev.gantry.scan.elf;

import dev.gantry.scan.kb.DispatchApi;
import java.util.Arrays;
import java.util.Set;

/**
 * The places in an ELF file that stand for a CPU-feature check, by address:
 * defined symbols and the GOT slots and PLT stubs of imported symbols that
 * {@link ProbeNames} names (glibc's {@code getauxval}, libgcc's
 * {@code __cpu_model}, DPDK's {@code rte_cpu_get_flag_enabled}...); ifunc
 * resolvers ({@code STT_GNU_IFUNC} symbols, {@code IRELATIVE} relocations);
 * functions whose names mark them as one instruction-set variant
 * ({@code foo.avx2}, {@code foo_avx512}); and the function addresses stored in
 * data (relocated pointers: function-pointer tables, vtables). What
 * {@link Guards} needs to say which functions a run-time check selects.
 *
 * <p>Bounded: each list keeps at most {@link #MAX_ENTRIES}. One per analysis.
 */
final class ProbeSites {
    static final int MAX_ENTRIES = 1 << 18;
    static final int STT_NOTYPE = 0;
    static final int STT_OBJECT = 1;
    static final int R_X86_64_64 = 1;
    static final int R_X86_64_GLOB_DAT = 6;
    static final int R_X86_64_JUMP_SLOT = 7;
    static final int R_X86_64_RELATIVE = 8;
    static final int R_AARCH64_ABS64 = 257;
    static final int R_AARCH64_GLOB_DAT = 1025;
    static final int R_AARCH64_JUMP_SLOT = 1026;
    static final int R_AARCH64_RELATIVE = 1027;

    /** Suffixes, after {@code _}, of hand-named instruction-set variants ({@code sad_16x16_avx2}). */
    private static final Set<String> VARIANT_WORDS = Set.of("avx", "avx2", "avx512", "avx512f", "avx512bw",
            "avx512vl", "avx512dq", "avx512skx", "avx512icl", "avxvnni", "avx2vnni", "sse3", "ssse3", "sse4", "sse41",
            "sse42", "l9", "z0", "e9", "fma", "fma3", "fma4", "xop", "aesni", "shaext", "vaes", "vpclmulqdq", "gfni",
            "bmi2", "sve", "sve2", "neon", "asimd", "dotprod", "i8mm", "crypto", "haswell", "skylakex", "icelake");
    /** Starts of what follows the first {@code .} of a compiler-made clone's name ({@code sum.avx2.0}). */
    private static final String[] CLONE_PREFIXES = {"avx", "sse", "ssse", "fma", "bmi", "arch_", "popcnt", "sve",
        "sha", "aes", "lzcnt", "movbe", "f16c", "pclmul", "vpclmul", "gfni", "xop", "crc", "lse", "rdm", "dotprod",
        "i8mm", "bf16", "fp16", "neon", "simd"};

    private final ProbeNames names;
    private final LongList probeStart = new LongList(MAX_ENTRIES);
    private final LongList probeEnd = new LongList(MAX_ENTRIES);
    final LongList resolvers = new LongList(MAX_ENTRIES);
    final LongList variants = new LongList(MAX_ENTRIES);
    final LongList dataPointers = new LongList(MAX_ENTRIES);
    /** Functions other files may call: defined global symbols of default or protected visibility. */
    final LongList exported = new LongList(MAX_ENTRIES);
    /** A {@code selects: file} or {@code selects: referenced} interface the file uses, or null. */
    DispatchApi fileScope;
    DispatchApi referencedScope;
    /** Whether the file is x86-64 code (else arm64), for naming features; set by {@link #walkRelocations}. */
    boolean x86;
    /** Start and end addresses of the writable allocated sections (where a check can leave its answer). */
    private final LongList writable = new LongList(256);
    /** The first probe symbol seen, for evidence. */
    String evidence;
    private long[] ranges;

    ProbeSites(ProbeNames names) {
        this.names = names;
    }

    /** Receives a function symbol's range, or (size -1) the address of another symbol defined in code. */
    interface FunctionSink {
        void function(long value, long size);
    }

    /** Walks a symbol table: functions to {@code sink}, probe symbols, resolvers and variant names here. */
    void walkSymbols(ElfFile elf, ElfFile.Section symtab, FunctionSink sink) {
        ElfBytes b = elf.bytes();
        ElfFile.Section str = elf.sections().get(symtab.link());
        long strEnd = str.offset() + str.size();
        int entry = elf.is64() ? 24 : 16;
        for (long p = symtab.offset() + entry; p + entry <= symtab.offset() + symtab.size(); p += entry) {
            long name = b.u32(p);
            int info = elf.is64() ? b.u8(p + 4) : b.u8(p + 12);
            int shndx = elf.is64() ? b.u16(p + 6) : b.u16(p + 14);
            if (shndx == 0 || shndx >= Functions.SHN_LORESERVE) {
                continue;
            }
            long value = elf.is64() ? b.u64(p + 8) : b.u32(p + 4);
            long size = elf.is64() ? b.u64(p + 16) : b.u32(p + 8);
            int type = info & 0xF;
            long at = name > 0 && name < str.size() ? str.offset() + name : -1;
            if (type == ElfSymbols.STT_FUNC || type == ElfSymbols.STT_GNU_IFUNC) {
                sink.function(value, size);
                int bind = info >>> 4;
                int visibility = (elf.is64() ? b.u8(p + 5) : b.u8(p + 13)) & 3;
                if ((bind == 1 || bind == 2) && (visibility == 0 || visibility == 3)) {
                    exported.add(value);
                }
                if (type == ElfSymbols.STT_GNU_IFUNC) {
                    resolvers.add(value);
                    note("IFUNC symbol " + b.cString(at, strEnd, 128));
                } else if (at >= 0 && variantName(b, at, strEnd)) {
                    variants.add(value);
                }
            } else if (type == STT_OBJECT || type == STT_NOTYPE) {
                sink.function(value, -1); // data or a label in code: where a sizeless function ends
            }
            DispatchApi api = at >= 0 ? names.match(b, at, strEnd) : null;
            if (api != null) {
                probe(value, Math.max(size, 1));
                uses(api, "defines " + b.cString(at, strEnd, 128), true);
            }
        }
    }

    /** Records the use of an interface; {@code selects: file} counts only in the file that defines it. */
    private void uses(DispatchApi api, String what, boolean defined) {
        if (api.selects() == DispatchApi.Selects.FILE && defined && fileScope == null) {
            fileScope = api;
        } else if (api.selects() == DispatchApi.Selects.REFERENCED && referencedScope == null) {
            referencedScope = api;
        }
        note(what + " (" + api.id() + ")");
    }

    private void note(String what) {
        if (evidence == null) {
            evidence = what;
        }
    }

    private void probe(long start, long size) {
        probeStart.add(start);
        probeEnd.add(start + size);
    }

    /** Whether the name at {@code at} marks one instruction-set variant of a function. */
    static boolean variantName(ElfBytes b, long at, long end) {
        long stop = Math.min(Math.min(end, b.length()), at + 256);
        long dot = -1;
        long under = -1;
        long p = at;
        for (; p < stop; p++) {
            int c = b.u8(p);
            if (c == 0) {
                break;
            }
            if (c == '.' && dot < 0) {
                dot = p;
            } else if (c == '_') {
                under = p;
            }
        }
        if (p >= stop) {
            return false;
        }
        if (dot > at) {
            for (String prefix : CLONE_PREFIXES) {
                if (b.startsWith(dot + 1, p, prefix.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1))) {
                    return true;
                }
            }
            return false;
        }
        long tail = under > at ? p - under - 1 : 0;
        return tail >= 2 && tail <= 11
                && VARIANT_WORDS.contains(b.string(under + 1, (int) tail, java.nio.charset.StandardCharsets.ISO_8859_1));
    }

    /**
     * Walks the dynamic relocations: GOT slots of imported probe symbols, IRELATIVE resolvers, and
     * relocated pointers into code (function-pointer tables); then the PLT stubs that jump through
     * probe slots.
     */
    void walkRelocations(ElfFile elf) {
        x86 = elf.machine() == ElfFile.EM_X86_64;
        for (ElfFile.Section s : elf.sections()) {
            if ((s.flags() & 3) == 3 && !s.executable() && s.size() > 0 && !writable.full()) {
                writable.add(s.addr());
                writable.add(s.addr() + s.size());
            }
        }
        if (!elf.is64() || (!x86 && elf.machine() != ElfFile.EM_AARCH64)) {
            return;
        }
        ElfBytes b = elf.bytes();
        LongList slots = new LongList(MAX_ENTRIES);
        // Pointers in the GOT (how code reaches main or an exported function) and in the
        // constructor arrays are no function-pointer table: they select nothing.
        java.util.List<ElfFile.Section> notTables = new java.util.ArrayList<>();
        for (ElfFile.Section s : elf.sections()) {
            if (s.name() != null && (s.name().startsWith(".got") || s.name().endsWith("_array"))) {
                notTables.add(s);
            }
        }
        for (ElfFile.Section s : elf.sections()) {
            if (s.type() != ElfFile.SHT_RELA || !elf.contentsAvailable(s)) {
                continue;
            }
            ElfFile.Section sym = s.link() > 0 && s.link() < elf.sections().size() ? elf.sections().get(s.link()) : null;
            ElfFile.Section str = sym != null && sym.link() > 0 && sym.link() < elf.sections().size()
                    ? elf.sections().get(sym.link()) : null;
            boolean symbols = sym != null && str != null && elf.contentsAvailable(sym) && elf.contentsAvailable(str);
            for (long p = s.offset(); p + 24 <= s.offset() + s.size(); p += 24) {
                long offset = b.u64(p);
                long info = b.u64(p + 8);
                long addend = b.u64(p + 16);
                int type = (int) info;
                long index = info >>> 32;
                if (type == (x86 ? ElfSymbols.R_X86_64_IRELATIVE : ElfSymbols.R_AARCH64_IRELATIVE)) {
                    resolvers.add(addend);
                    note("IRELATIVE relocation");
                } else if (type == (x86 ? R_X86_64_RELATIVE : R_AARCH64_RELATIVE)) {
                    if (!within(notTables, offset)) {
                        dataPointers.add(addend);
                    }
                } else if (symbols && index > 0 && (index + 1) * 24 <= sym.size()) {
                    long e = sym.offset() + index * 24;
                    long name = b.u32(e);
                    int shndx = b.u16(e + 6);
                    if (type == (x86 ? R_X86_64_64 : R_AARCH64_ABS64) && shndx != 0 && !within(notTables, offset)) {
                        dataPointers.add(b.u64(e + 8) + addend);
                    }
                    boolean slot = type == (x86 ? R_X86_64_GLOB_DAT : R_AARCH64_GLOB_DAT)
                            || type == (x86 ? R_X86_64_JUMP_SLOT : R_AARCH64_JUMP_SLOT);
                    if (slot && name > 0 && name < str.size()) {
                        DispatchApi api = names.match(b, str.offset() + name, str.offset() + str.size());
                        if (api != null) {
                            probe(offset, 8);
                            slots.add(offset);
                            String n = b.cString(str.offset() + name, str.offset() + str.size(), 128);
                            uses(api, (shndx == 0 ? "imports " : "defines ") + n, shndx != 0);
                        }
                    }
                }
            }
        }
        if (slots.size() > 0) {
            Plt.stubs(elf, slots.sortedUnique(), (stub, size) -> probe(stub, size));
        }
    }

    private static boolean within(java.util.List<ElfFile.Section> sections, long address) {
        for (ElfFile.Section s : sections) {
            if (address >= s.addr() && address - s.addr() < s.size()) {
                return true;
            }
        }
        return false;
    }

    /** Freezes the probe ranges; call after the walks. */
    void finish() {
        int n = probeStart.size();
        long[][] pairs = new long[n][];
        for (int i = 0; i < n; i++) {
            pairs[i] = new long[] {probeStart.get(i), probeEnd.get(i)};
        }
        Arrays.sort(pairs, (x, y) -> Long.compare(x[0], y[0]));
        ranges = new long[2 * n];
        for (int i = 0; i < n; i++) {
            ranges[2 * i] = pairs[i][0];
            ranges[2 * i + 1] = pairs[i][1];
        }
    }

    /** Whether {@code address} lies in a probe symbol, slot or stub. */
    boolean isProbe(long address) {
        int lo = 0;
        int hi = ranges.length / 2 - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (ranges[2 * mid] <= address) {
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        // ranges may overlap; look back over a few starts at or before the address
        for (int i = hi; i >= 0 && i > hi - 8; i--) {
            if (address >= ranges[2 * i] && address < ranges[2 * i + 1]) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code address} lies in a writable allocated section. */
    boolean isWritable(long address) {
        for (int i = 0; i + 1 < writable.size(); i += 2) {
            if (address >= writable.get(i) && address < writable.get(i + 1)) {
                return true;
            }
        }
        return false;
    }

    boolean hasProbes() {
        return ranges.length > 0;
    }
}
