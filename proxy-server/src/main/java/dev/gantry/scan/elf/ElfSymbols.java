package dev.gantry.scan.elf;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Dynamic linking facts of an ELF file: the {@code DT_NEEDED} sonames and the
 * evidence of run-time CPU dispatch in its symbols and relocations —
 * {@code STT_GNU_IFUNC} symbols, {@code IRELATIVE} relocations, and
 * references to the CPU-probing interfaces of libgcc and glibc.
 */
final class ElfSymbols {
    static final int DT_NEEDED = 1;
    static final int DT_STRTAB = 5;
    static final int DT_STRSZ = 10;
    static final int STT_FUNC = 2;
    static final int STT_GNU_IFUNC = 10;
    static final int R_386_IRELATIVE = 42;
    static final int R_X86_64_IRELATIVE = 37;
    static final int R_ARM_IRELATIVE = 160;
    static final int R_AARCH64_IRELATIVE = 1032;
    static final int MAX_NEEDED = 256;
    /** Variant names remembered at most while looking for a pair: bounds the heap a huge symbol table can take. */
    static final int MAX_VARIANT_NAMES = 1 << 15;

    /** Symbols whose presence means the code probes the CPU before choosing an implementation. */
    static final List<byte[]> DISPATCH_SYMBOLS = List.of(
            ascii("__cpu_model"), ascii("__cpu_indicator_init"), ascii("__cpu_features2"),
            ascii("getauxval"), ascii("__getauxval"), ascii("__get_cpu_features"),
            ascii("__x86_get_cpu_features"), ascii("__x86_get_cpuid_feature_leaf"),
            ascii("__aarch64_have_lse_atomics"));

    private ElfSymbols() {
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** The DT_NEEDED sonames, from the dynamic section or else the PT_DYNAMIC segment. */
    static List<String> needed(ElfFile elf) {
        ElfBytes b = elf.bytes();
        long dynOff = -1;
        long dynSize = 0;
        long strOff = -1;
        long strSize = 0;
        for (ElfFile.Section s : elf.sections()) {
            if (s.type() == ElfFile.SHT_DYNAMIC && elf.contentsAvailable(s)) {
                dynOff = s.offset();
                dynSize = s.size();
                if (s.link() > 0 && s.link() < elf.sections().size()) {
                    ElfFile.Section str = elf.sections().get(s.link());
                    if (elf.contentsAvailable(str)) {
                        strOff = str.offset();
                        strSize = str.size();
                    }
                }
                break;
            }
        }
        if (dynOff < 0) {
            for (ElfFile.Segment seg : elf.segments()) {
                if (seg.type() == ElfFile.PT_DYNAMIC && b.has(seg.offset(), seg.filesz())) {
                    dynOff = seg.offset();
                    dynSize = seg.filesz();
                }
            }
        }
        if (dynOff < 0) {
            return List.of();
        }
        int entry = elf.is64() ? 16 : 8;
        List<Long> neededOffsets = new ArrayList<>();
        for (long p = dynOff; p + entry <= dynOff + dynSize; p += entry) {
            long tag = b.word(p, elf.is64());
            long val = b.word(p + entry / 2, elf.is64());
            if (tag == 0) {
                break;
            }
            if (tag == DT_NEEDED && neededOffsets.size() < MAX_NEEDED) {
                neededOffsets.add(val);
            } else if (tag == DT_STRTAB && strOff < 0) {
                strOff = elf.offsetOf(val);
            } else if (tag == DT_STRSZ && strSize == 0) {
                strSize = val;
            }
        }
        if (strOff < 0 || neededOffsets.isEmpty()) {
            return List.of();
        }
        List<String> needed = new ArrayList<>(neededOffsets.size());
        long strEnd = strSize > 0 ? strOff + strSize : b.length();
        for (long off : neededOffsets) {
            String name = b.cString(strOff + off, strEnd, 256);
            if (name != null && !name.isEmpty()) {
                needed.add(name);
            }
        }
        return needed;
    }

    /** Describes the first dispatch evidence in the symbol tables and relocations, or null when there is none. */
    static String dispatchEvidence(ElfFile elf) {
        ElfBytes b = elf.bytes();
        List<ElfFile.Section> sections = elf.sections();
        for (ElfFile.Section s : sections) {
            if ((s.type() == ElfFile.SHT_DYNSYM || s.type() == ElfFile.SHT_SYMTAB) && elf.contentsAvailable(s)
                    && s.link() > 0 && s.link() < sections.size()) {
                ElfFile.Section str = sections.get(s.link());
                if (!elf.contentsAvailable(str)) {
                    continue;
                }
                String found = symbols(elf, b, s, str);
                if (found != null) {
                    return found;
                }
            }
        }
        for (ElfFile.Section s : sections) {
            if ((s.type() == ElfFile.SHT_RELA || s.type() == ElfFile.SHT_REL) && elf.contentsAvailable(s)
                    && hasIrelative(elf, b, s)) {
                return "IRELATIVE relocation in " + s.name();
            }
        }
        for (ElfFile.Section s : sections) {
            if (s.type() == ElfFile.SHT_DYNSYM && elf.contentsAvailable(s) && s.link() > 0 && s.link() < sections.size()
                    && elf.contentsAvailable(sections.get(s.link()))) {
                String found = isaVariants(elf, b, s, sections.get(s.link()));
                if (found != null) {
                    return found;
                }
            }
        }
        return null;
    }

    /**
     * Suffixes that name one instruction-set variant of an exported function:
     * Intel SVML's ({@code _ex} SSE4.2, {@code _e9} AVX, {@code _l9} AVX2,
     * {@code _z0} AVX-512; the JDK's libjsvml) and the spelled-out ones.
     */
    private static final List<String> ISA_SUFFIXES = List.of(
            "_ex", "_e9", "_l9", "_z0", "_sse2", "_ssse3", "_sse41", "_sse42", "_avx", "_avx2", "_avx512", "_avx512f",
            "_avx512bw", "_avx512vl", "_neon", "_sve", "_sve2");

    /**
     * A library that exports the same function once per instruction set leaves
     * the choice to its caller (libjvm picks libjsvml's {@code _l9} or
     * {@code _z0} entry points after its own CPUID): its instructions are used
     * behind a dispatch that lives in another file. Two variants of one name
     * are the evidence.
     */
    /** The exported per-instruction-set variant pair evidence of {@link #dispatchEvidence}, alone, or null. */
    static String isaVariantsEvidence(ElfFile elf) {
        List<ElfFile.Section> sections = elf.sections();
        for (ElfFile.Section s : sections) {
            if (s.type() == ElfFile.SHT_DYNSYM && elf.contentsAvailable(s) && s.link() > 0 && s.link() < sections.size()
                    && elf.contentsAvailable(sections.get(s.link()))) {
                String found = isaVariants(elf, elf.bytes(), s, sections.get(s.link()));
                if (found != null) {
                    return found;
                }
            }
        }
        return null;
    }

    private static String isaVariants(ElfFile elf, ElfBytes b, ElfFile.Section symtab, ElfFile.Section str) {
        int entry = elf.is64() ? 24 : 16;
        long strEnd = str.offset() + str.size();
        Map<String, String> firstVariant = new HashMap<>();
        for (long p = symtab.offset() + entry; p + entry <= symtab.offset() + symtab.size(); p += entry) {
            long name = b.u32(p);
            int info = elf.is64() ? b.u8(p + 4) : b.u8(p + 12);
            int shndx = elf.is64() ? b.u16(p + 6) : b.u16(p + 14);
            if ((info & 0xF) != STT_FUNC || shndx == 0 || name == 0 || name >= str.size()) {
                continue;
            }
            String n = b.cString(str.offset() + name, strEnd, 256);
            if (n == null) {
                continue;
            }
            for (String suffix : ISA_SUFFIXES) {
                if (n.length() > suffix.length() && n.endsWith(suffix)) {
                    String base = n.substring(0, n.length() - suffix.length());
                    String other = firstVariant.size() < MAX_VARIANT_NAMES ? firstVariant.putIfAbsent(base, n)
                            : firstVariant.get(base);
                    if (other != null && !other.equals(n)) {
                        return "exports per-instruction-set variants " + other + " and " + n + ": the caller chooses at run time";
                    }
                    break;
                }
            }
        }
        return null;
    }

    private static String symbols(ElfFile elf, ElfBytes b, ElfFile.Section symtab, ElfFile.Section str) {
        int entry = elf.is64() ? 24 : 16;
        long strEnd = str.offset() + str.size();
        for (long p = symtab.offset() + entry; p + entry <= symtab.offset() + symtab.size(); p += entry) {
            long name = b.u32(p);
            int info = elf.is64() ? b.u8(p + 4) : b.u8(p + 12);
            int shndx = elf.is64() ? b.u16(p + 6) : b.u16(p + 14);
            if ((info & 0xF) == STT_GNU_IFUNC && shndx != 0) {
                String n = b.cString(str.offset() + name, strEnd, 256);
                return "IFUNC symbol " + n + " in " + symtab.name();
            }
            if (name == 0 || name >= str.size()) {
                continue;
            }
            long at = str.offset() + name;
            int first = b.u8(at);
            if (first != '_' && first != 'g') {
                continue;
            }
            for (byte[] candidate : DISPATCH_SYMBOLS) {
                if (b.cStringEquals(at, strEnd, candidate)) {
                    return (shndx == 0 ? "imports " : "defines ") + new String(candidate, StandardCharsets.US_ASCII);
                }
            }
        }
        return null;
    }

    private static boolean hasIrelative(ElfFile elf, ElfBytes b, ElfFile.Section rel) {
        boolean rela = rel.type() == ElfFile.SHT_RELA;
        int entry = elf.is64() ? (rela ? 24 : 16) : (rela ? 12 : 8);
        int irelative = switch (elf.machine()) {
            case ElfFile.EM_X86_64 -> R_X86_64_IRELATIVE;
            case ElfFile.EM_AARCH64 -> R_AARCH64_IRELATIVE;
            case ElfFile.EM_386 -> R_386_IRELATIVE;
            case ElfFile.EM_ARM -> R_ARM_IRELATIVE;
            default -> -1;
        };
        for (long p = rel.offset(); p + entry <= rel.offset() + rel.size(); p += entry) {
            long info = b.word(p + (elf.is64() ? 8 : 4), elf.is64());
            long type = elf.is64() ? info & 0xFFFFFFFFL : info & 0xFF;
            if (type == irelative) {
                return true;
            }
        }
        return false;
    }
}
