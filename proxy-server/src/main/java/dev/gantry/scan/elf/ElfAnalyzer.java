package dev.gantry.scan.elf;

import dev.gantry.scan.x86.X86Feature;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Analyses one ELF file, read through a bounded view ({@link ElfBytes}): dynamic dependencies, GNU property
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
     * bytes held in an array (tests, small files); see {@link #analyze(ByteBuffer, int, long, long)}.
     */
    public ElfReport analyze(byte[] buf, int length, long fileSize) {
        return analyze(ByteBuffer.wrap(buf), length, fileSize, System.nanoTime() + (1L << 62));
    }

    /**
     * Analyses the first {@code length} bytes of an ELF file of {@code fileSize}
     * bytes, readable at indexes {@code [0, length)} of {@code buf} (a heap
     * buffer, or a read-only mapping of the spooled file: it is read through
     * bounded windows, never copied whole). When {@code length < fileSize} (the
     * file exceeded the per-file limit), whatever lies beyond is reported as not
     * analysed in the notes; when {@code deadlineNanos} (a {@link System#nanoTime()}
     * value) passes, decoding stops and the notes say where.
     *
     * @throws ElfFormatException when the file is truncated or malformed
     */
    public ElfReport analyze(ByteBuffer buf, int length, long fileSize, long deadlineNanos) {
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
        List<long[]> code = codeRanges(elf);
        CodeWindows windows = new CodeWindows(elf.bytes(), deadlineNanos, firstUse);
        if (elf.machine() == ElfFile.EM_X86_64) {
            for (long[] r : code) {
                windows.x86(r[0], r[1]);
            }
            x86 = windows.features() | feature2(properties.x86Feature2Used());
        } else if (elf.machine() == ElfFile.EM_AARCH64) {
            for (long[] r : code) {
                windows.arm64(r[0], r[1]);
            }
            arm = windows.features();
        } else if (!code.isEmpty()) {
            notes.add("instructions of " + ElfReport.machineName(elf.machine()) + " code are not analysed");
        }
        if (dispatch == null) {
            dispatch = windows.dispatch();
        }
        if (windows.stoppedAt() >= 0) {
            notes.add("instructions from offset 0x" + Long.toHexString(windows.stoppedAt())
                    + " on not analysed: the layer's time limit ran out");
        }
        return new ElfReport(elf.machine(), elf.is64(), elf.isProgram(), List.copyOf(needed), Set.copyOf(sections),
                properties, go, x86, arm, dispatch, Map.copyOf(firstUse), windows.decoded(), List.copyOf(notes));
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
