package dev.gantry.scan.elf;

import dev.gantry.scan.arm64.Arm64Feature;
import dev.gantry.scan.kb.DispatchApi;
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
 * notes, Go build info, sections of interest, and the CPU features of the
 * instructions of its functions (x86-64 and AArch64; other machines get
 * headers only) — decoded function by function ({@link Functions}: data in
 * {@code .text} is skipped), with which of them a run-time CPU check
 * selects ({@link Guards}).
 *
 * <p>Immutable and thread-safe; each call uses its own decoder.
 */
public final class ElfAnalyzer {
    private final Set<String> interestingSections;
    private final ProbeNames probeNames;

    /**
     * The heap an analysis may take beyond its fixed buffers, for the function table and the
     * reference graph of one file; given back when the file is done.
     */
    public interface Budget {
        /** @return false when there is no room for {@code bytes} more (nothing is charged then) */
        boolean charge(long bytes);

        void release(long bytes);

        /** No limit: tests and tools. */
        Budget UNLIMITED = new Budget() {
            @Override
            public boolean charge(long bytes) {
                return true;
            }

            @Override
            public void release(long bytes) {
            }
        };
    }

    /** @param interestingSections section names to report when present (e.g. {@code .nv_fatbin}) */
    public ElfAnalyzer(Set<String> interestingSections) {
        this(interestingSections, List.of());
    }

    /**
     * @param interestingSections section names to report when present (e.g. {@code .nv_fatbin})
     * @param dispatchApis the knowledge base's CPU-feature query interfaces ({@code cpu.dispatch})
     */
    public ElfAnalyzer(Set<String> interestingSections, List<DispatchApi> dispatchApis) {
        this.interestingSections = Set.copyOf(interestingSections);
        this.probeNames = new ProbeNames(dispatchApis);
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
        return analyze(buf, length, fileSize, deadlineNanos, Budget.UNLIMITED);
    }

    /** Like {@link #analyze(ByteBuffer, int, long, long)}, charging the function table and graph to {@code budget}. */
    public ElfReport analyze(ByteBuffer buf, int length, long fileSize, long deadlineNanos, Budget budget) {
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
        Map<String, Long> firstUse = new TreeMap<>();
        CodeWindows windows = new CodeWindows(elf.bytes(), deadlineNanos, firstUse);
        boolean x86 = elf.machine() == ElfFile.EM_X86_64;
        boolean arm64 = elf.machine() == ElfFile.EM_AARCH64;
        String dispatch;
        long used;
        long unguarded;
        if ((x86 || arm64) && !elf.sections().isEmpty()) {
            ProbeSites sites = new ProbeSites(probeNames);
            Functions fns = Functions.build(elf, sites);
            sites.walkRelocations(elf);
            sites.finish();
            CodeGraph graph = new CodeGraph(fns, lowestAddress(elf), budget);
            try {
                windows.functions(fns, graph, x86);
                Guards guards = Guards.of(fns, graph, sites, ElfSymbols.isaVariantsEvidence(elf));
                used = windows.features();
                dispatch = guards.evidence();
                unguarded = guards.perFile() ? (dispatch == null ? used : 0) : guards.unguardedFeatures();
                for (long m = unguarded; m != 0; m &= m - 1) {
                    int bit = Long.numberOfTrailingZeros(m);
                    String flag = x86 ? X86Feature.of(bit).flag() : Arm64Feature.of(bit).flag();
                    Long hint = firstUse.get(flag);
                    long at = guards.perFile() ? (hint == null ? -1 : hint) : guards.firstUnguarded(1L << bit,
                            hint == null ? -1 : hint);
                    firstUse.put(flag, at);
                }
            } finally {
                graph.release();
            }
        } else {
            // No section headers (or another machine): executable segments, evidence per file.
            List<long[]> code = codeRanges(elf);
            if (x86 || arm64) {
                for (long[] r : code) {
                    if (x86) {
                        windows.x86(r[0], r[1]);
                    } else {
                        windows.arm64(r[0], r[1]);
                    }
                }
            } else if (!code.isEmpty()) {
                notes.add("instructions of " + ElfReport.machineName(elf.machine()) + " code are not analysed");
            }
            used = windows.features();
            dispatch = ElfSymbols.dispatchEvidence(elf);
            if (dispatch == null) {
                dispatch = windows.dispatch();
            }
            unguarded = dispatch == null ? used : 0;
        }
        firstUse.keySet().retainAll(flags(unguarded, x86));
        firstUse.values().removeIf(v -> v < 0);
        long x86Features = 0;
        long armFeatures = 0;
        if (x86) {
            long declared = feature2(properties.x86Feature2Used());
            x86Features = used | declared;
            if (dispatch == null) {
                unguarded |= declared;
            }
        } else if (arm64) {
            armFeatures = used;
        }
        if (windows.stoppedAt() >= 0) {
            notes.add("instructions from offset 0x" + Long.toHexString(windows.stoppedAt())
                    + " on not analysed: the layer's time limit ran out");
        }
        return new ElfReport(elf.machine(), elf.is64(), elf.isProgram(), List.copyOf(needed), Set.copyOf(sections),
                properties, go, x86Features, armFeatures, dispatch, Map.copyOf(firstUse), windows.decoded(),
                List.copyOf(notes), unguarded);
    }

    private static Set<String> flags(long mask, boolean x86) {
        Set<String> out = new java.util.HashSet<>();
        for (long m = mask; m != 0; m &= m - 1) {
            int bit = Long.numberOfTrailingZeros(m);
            out.add(x86 ? X86Feature.of(bit).flag() : Arm64Feature.of(bit).flag());
        }
        return out;
    }

    /** The lowest address a PT_LOAD segment maps (0 for shared objects and position-independent programs). */
    private static long lowestAddress(ElfFile elf) {
        long low = Long.MAX_VALUE;
        for (ElfFile.Segment s : elf.segments()) {
            if (s.type() == ElfFile.PT_LOAD) {
                low = Math.min(low, s.vaddr());
            }
        }
        return low == Long.MAX_VALUE ? 0 : low;
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
