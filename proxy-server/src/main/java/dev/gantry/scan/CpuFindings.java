package dev.gantry.scan;

import dev.gantry.scan.arm64.Arm64Feature;
import dev.gantry.scan.elf.ElfFile;
import dev.gantry.scan.elf.ElfReport;
import dev.gantry.scan.x86.X86Feature;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns what an ELF file uses into required and supported CPU features.
 *
 * <p>The heuristic: evidence is per function. A feature is
 * <em>supported</em> when every function that uses it is selected by a
 * run-time CPU check of the file — CPUID, XGETBV, ifunc resolvers,
 * {@code __cpu_model}, {@code getauxval}, ID-register reads, or a
 * {@code cpu.dispatch} interface of the knowledge base (DPDK, OpenSSL,
 * FFmpeg...), followed through the file's calls and references (see
 * {@code elf.Guards} for the rules and their known misses); it is
 * <em>required</em> when some function that uses it is reached with no such
 * check. Only code is decoded: data inside {@code .text} is skipped. A file
 * without function boundaries (no symbols, no FDEs) falls back to per-file
 * evidence. A feature used only behind a probe in another library is
 * over-reported as required. Features the knowledge base lists as always required (SGX,
 * TDX) are required regardless. A declared level — {@code ISA_1_NEEDED},
 * which glibc enforces, or Go's {@code GOAMD64}, which the Go runtime
 * enforces — makes all features of that level required. Baseline features
 * (SSE2 on x86-64, ASIMD on AArch64) are never findings.
 */
final class CpuFindings {
    private CpuFindings() {
    }

    /** The finding for one ELF file, or null when it uses nothing beyond the baseline. */
    static CpuFinding of(String path, ElfReport r, Set<String> alwaysRequired) {
        Map<String, Long> used = new LinkedHashMap<>();
        Set<String> unguardedFlags = new java.util.HashSet<>();
        String arch;
        int level = 0;
        String levelSource = null;
        if (r.machine() == ElfFile.EM_X86_64) {
            arch = "x86_64";
            for (long m = r.x86Features(); m != 0; m &= m - 1) {
                String f = X86Feature.of(Long.numberOfTrailingZeros(m)).flag();
                used.put(f, r.firstUse().get(f));
                if ((r.unguarded() & (m & -m)) != 0) {
                    unguardedFlags.add(f);
                }
            }
            int needed = r.properties().x86LevelNeeded();
            int go = r.go() == null ? 0 : r.go().goamd64();
            if (needed >= 2 || go >= 2) {
                level = Math.max(needed, go);
                levelSource = needed >= go ? "isa-needed" : "goamd64";
            }
        } else if (r.machine() == ElfFile.EM_AARCH64) {
            arch = "aarch64";
            for (long m = r.arm64Features(); m != 0; m &= m - 1) {
                String f = Arm64Feature.of(Long.numberOfTrailingZeros(m)).flag();
                used.put(f, r.firstUse().get(f));
                if ((r.unguarded() & (m & -m)) != 0) {
                    unguardedFlags.add(f);
                }
            }
        } else {
            return null;
        }
        Set<String> required = new LinkedHashSet<>();
        List<String> supported = new ArrayList<>();
        Map<String, Long> firstUse = new LinkedHashMap<>();
        for (Map.Entry<String, Long> e : used.entrySet()) {
            if (unguardedFlags.contains(e.getKey()) || alwaysRequired.contains(e.getKey())) {
                required.add(e.getKey());
                if (e.getValue() != null) {
                    firstUse.put(e.getKey(), e.getValue());
                }
            } else {
                supported.add(e.getKey());
            }
        }
        for (X86Feature f : X86Feature.values()) {
            if (f.level() > 1 && f.level() <= level) {
                required.add(f.flag());
            }
        }
        supported.removeAll(required);
        if (required.isEmpty() && supported.isEmpty()) {
            return null;
        }
        return new CpuFinding(path, arch, List.copyOf(required), supported, level, levelSource, r.dispatch(),
                firstUse);
    }
}
