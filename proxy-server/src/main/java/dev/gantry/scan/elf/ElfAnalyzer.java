package dev.gantry.scan.elf;

import dev.gantry.scan.arm64.Arm64Classifier;
import dev.gantry.scan.arm64.Arm64Feature;
import dev.gantry.scan.x86.X86CodeScanner;
import dev.gantry.scan.x86.X86Feature;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Analyses one ELF file held in memory: dynamic dependencies, GNU property
 * notes, Go build info, sections of interest, dispatch evidence, and the CPU
 * features of the instructions in its executable sections (x86-64 and
 * AArch64; other machines get headers only).
 *
 * <p>Immutable and thread-safe; each call uses its own decoder.
 */
public final class ElfAnalyzer {
    private final Set<String> interestingSections;

    /** @param interestingSections section names to report when present (e.g. {@code .nv_fatbin}) */
    public ElfAnalyzer(Set<String> interestingSections) {
        this.interestingSections = Set.copyOf(interestingSections);
    }

    /**
     * Analyses the first {@code length} bytes of an ELF file of {@code fileSize}
     * bytes. When {@code length < fileSize} (the file exceeded the per-file
     * limit), whatever lies beyond is reported as not analysed in the notes.
     *
     * @throws ElfFormatException when the file is truncated or malformed
     */
    public ElfReport analyze(byte[] buf, int length, long fileSize) {
        ElfFile elf = ElfFile.parse(buf, length, fileSize);
        List<String> notes = new ArrayList<>();
        if (length < fileSize) {
            notes.add("only the first " + length + " of " + fileSize + " bytes analysed (per-file limit)");
        }
        if (!elf.sectionsAvailable() && elf.sections().isEmpty() && length < fileSize) {
            notes.add("section headers lie beyond the bytes read; instructions not analysed");
        }
        List<String> needed = ElfSymbols.needed(elf);
        Set<String> sections = new LinkedHashSet<>();
        for (ElfFile.Section s : elf.sections()) {
            if (s.name() != null && interestingSections.contains(s.name())) {
                sections.add(s.name());
            }
        }
        GnuProperties properties = GnuProperties.read(elf);
        GoBuildInfo go = GoBuildInfo.read(elf);
        String dispatch = ElfSymbols.dispatchEvidence(elf);
        Map<String, Long> firstUse = new TreeMap<>();
        long x86 = 0;
        long arm = 0;
        long decoded = 0;
        List<long[]> code = codeRanges(elf);
        if (elf.machine() == ElfFile.EM_X86_64) {
            X86CodeScanner scanner = new X86CodeScanner();
            String[] cpuDispatch = {null};
            for (long[] r : code) {
                x86 |= decodeX86(scanner, buf, (int) r[0], (int) r[1], firstUse, x86, cpuDispatch);
                decoded += r[1] - r[0];
            }
            if (dispatch == null) {
                dispatch = cpuDispatch[0];
            }
            x86 |= feature2(properties.x86Feature2Used());
        } else if (elf.machine() == ElfFile.EM_AARCH64) {
            String[] cpuDispatch = {null};
            for (long[] r : code) {
                arm |= classifyArm64(buf, (int) r[0], (int) r[1], elf.bytes(), firstUse, arm, cpuDispatch);
                decoded += r[1] - r[0];
            }
            if (dispatch == null) {
                dispatch = cpuDispatch[0];
            }
        } else if (!code.isEmpty()) {
            notes.add("instructions of " + ElfReport.machineName(elf.machine()) + " code are not analysed");
        }
        return new ElfReport(elf.machine(), elf.is64(), elf.isProgram(), List.copyOf(needed), Set.copyOf(sections),
                properties, go, x86, arm, dispatch, Map.copyOf(firstUse), decoded, List.copyOf(notes));
    }

    /**
     * Byte ranges of code: executable PROGBITS sections; when the file has no
     * section headers, its executable PT_LOAD segments. Ranges are clipped to the bytes read.
     */
    private static List<long[]> codeRanges(ElfFile elf) {
        List<long[]> ranges = new ArrayList<>();
        int length = elf.bytes().length();
        if (!elf.sections().isEmpty()) {
            for (ElfFile.Section s : elf.sections()) {
                if (s.executable() && s.offset() < length) {
                    ranges.add(new long[] {s.offset(), Math.min(length, s.offset() + s.size())});
                }
            }
        } else if (!elf.sectionsAvailable()) {
            for (ElfFile.Segment seg : elf.segments()) {
                if (seg.type() == ElfFile.PT_LOAD && (seg.flags() & ElfFile.PF_X) != 0 && seg.offset() < length) {
                    ranges.add(new long[] {seg.offset(), Math.min(length, seg.offset() + seg.filesz())});
                }
            }
        }
        return ranges;
    }

    private static long decodeX86(X86CodeScanner scanner, byte[] buf, int from, int to, Map<String, Long> firstUse,
            long seen, String[] dispatch) {
        long[] found = {seen};
        scanner.scan(buf, from, to, (offset, features, cpuid) -> {
            long fresh = features & ~found[0];
            if (fresh != 0) {
                found[0] |= fresh;
                for (long m = fresh; m != 0; m &= m - 1) {
                    firstUse.put(X86Feature.of(Long.numberOfTrailingZeros(m)).flag(), (long) offset);
                }
            }
            if (cpuid && dispatch[0] == null) {
                dispatch[0] = "CPUID or XGETBV at offset 0x" + Integer.toHexString(offset);
            }
        });
        return found[0];
    }

    private static long classifyArm64(byte[] buf, int from, int to, ElfBytes b, Map<String, Long> firstUse,
            long seen, String[] dispatch) {
        long found = seen;
        int start = from + ((4 - (from & 3)) & 3);
        for (int p = start; p + 4 <= to; p += 4) {
            int insn = (buf[p] & 0xFF) | (buf[p + 1] & 0xFF) << 8 | (buf[p + 2] & 0xFF) << 16 | (buf[p + 3] & 0xFF) << 24;
            long f = Arm64Classifier.classify(insn);
            if (f != 0) {
                long fresh = f & ~found;
                if (fresh != 0) {
                    found |= fresh;
                    for (long m = fresh; m != 0; m &= m - 1) {
                        firstUse.put(Arm64Feature.of(Long.numberOfTrailingZeros(m)).flag(), (long) p);
                    }
                }
            } else if (dispatch[0] == null && Arm64Classifier.readsIdRegister(insn)) {
                dispatch[0] = "MRS of an ID register at offset 0x" + Integer.toHexString(p);
            }
        }
        return found;
    }

    /** Register states an object declares it uses, as the features that provide them. */
    private static long feature2(long used) {
        long f = 0;
        if ((used & GnuProperties.FEATURE_2_YMM) != 0) {
            f |= X86Feature.AVX.bit();
        }
        if ((used & (GnuProperties.FEATURE_2_ZMM | GnuProperties.FEATURE_2_MASK)) != 0) {
            f |= X86Feature.AVX512F.bit();
        }
        if ((used & GnuProperties.FEATURE_2_TMM) != 0) {
            f |= X86Feature.AMX_TILE.bit();
        }
        return f;
    }
}
