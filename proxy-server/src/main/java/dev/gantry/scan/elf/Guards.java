package dev.gantry.scan.elf;

import static dev.gantry.scan.x86.X86CodeScanner.CALL;
import static dev.gantry.scan.x86.X86CodeScanner.JUMP;
import static dev.gantry.scan.x86.X86CodeScanner.REF;

import java.util.BitSet;

/**
 * Which functions of a file a run-time CPU check selects — a heuristic over
 * the light call and reference graph of {@link CodeGraph}, the probe sites of
 * {@link ProbeSites} and the names of {@link Functions}:
 *
 * <ol>
 * <li>A <em>probe</em> is a function that executes CPUID, XGETBV or an
 *     {@code MRS} of an ID register; is an ifunc resolver; defines, calls,
 *     reads or takes the address of a probe symbol (libgcc's
 *     {@code __cpu_model}, {@code getauxval}, a {@code cpu.dispatch}
 *     interface of the knowledge base, through its PLT stub or GOT slot); or
 *     reads a variable a probe writes (a stripped file's {@code __cpu_model}:
 *     within 16 bytes of a probe's store), or calls a short predicate that
 *     does ({@link CapabilityFlags}).</li>
 * <li>A <em>dispatcher</em> is a probe or a function that calls or jumps to one.</li>
 * <li>Guarded (its instructions are used only when the check passed): a
 *     dispatcher itself (the OpenSSL and Go assembly way: test a flag, branch
 *     inside the function); what a probe calls, jumps to or takes the address
 *     of ({@code if (__builtin_cpu_supports("avx2")) f_avx2();}, ifunc
 *     candidates); what any dispatcher takes the address of (function
 *     pointers set after a check); and, once the file has any probe, functions
 *     named as an instruction-set variant ({@code foo.avx2}, {@code foo_avx512})
 *     and functions whose address is stored only in data, never called
 *     directly (function-pointer tables). With a {@code selects: referenced}
 *     interface every address-taken function is guarded; with
 *     {@code selects: file}, everything (or, with a feature list, every
 *     instruction of those features); and variants recognised by their shape
 *     ({@link SiblingVariants}).</li>
 * </ol>
 *
 * Everything else is reached without a check: its instructions are required.
 * Known misses: a probe's call to an unguarded helper counts as guarded, as do
 * C++ virtual functions in a file with a probe; a check whose result travels
 * through arguments or the heap into another function is not followed (the
 * {@code referenced} interfaces cover the libraries known to do this). When
 * the file has no function boundaries (no symbols, no FDEs) or the graph
 * outgrew its memory, evidence is per file, as before: any probe makes all of
 * it guarded.
 */
final class Guards {
    private final Functions fns;
    private final CodeGraph g;
    private final BitSet guarded;
    private final String evidence;
    /** Features a {@code selects: file} interface with a feature list chooses in the whole file. */
    private final long chosen;

    private Guards(Functions fns, CodeGraph g, BitSet guarded, String evidence) {
        this(fns, g, guarded, evidence, 0);
    }

    private Guards(Functions fns, CodeGraph g, BitSet guarded, String evidence, long chosen) {
        this.fns = fns;
        this.g = g;
        this.guarded = guarded;
        this.evidence = evidence;
        this.chosen = chosen;
    }

    /**
     * @param fileEvidence dispatch evidence the file carries as a whole (exported per-instruction-set
     *     variants: the caller chooses), or null
     */
    static Guards of(Functions fns, CodeGraph g, ProbeSites sites, String fileEvidence) {
        if (sites.fileScope != null && !sites.fileScope.features().isEmpty()) {
            Guards rest = perFunction(fns, g, sites, fileEvidence);
            String scope = "instructions of " + String.join(", ", sites.fileScope.features())
                    + " chosen at run time by " + sites.fileScope.id() + " (" + sites.evidence + ")";
            return new Guards(fns, g, rest.guarded, rest.evidence == null ? scope : scope + "; " + rest.evidence,
                    chosenMask(sites));
        }
        int n = fns.count;
        if (sites.fileScope != null) {
            BitSet guarded = new BitSet(n);
            guarded.set(0, n);
            return new Guards(fns, g, guarded, "instructions chosen at run time by " + sites.fileScope.id()
                    + " (" + sites.evidence + ")");
        }
        return perFunction(fns, g, sites, fileEvidence);
    }

    private static Guards perFunction(Functions fns, CodeGraph g, ProbeSites sites, String fileEvidence) {
        int n = fns.count;
        BitSet guarded = new BitSet(n);
        String anyEvidence = firstNonNull(g.probeEvidence, sites.evidence, fileEvidence);
        if (fns.sectionsOnly || g.overflow) {
            if (anyEvidence != null) {
                guarded.set(0, n);
            }
            return new Guards(fns, g, guarded, anyEvidence == null ? null
                    : anyEvidence + (fns.sectionsOnly ? " (no function boundaries: evidence per file)"
                            : " (reference graph over its memory budget: evidence per file)"));
        }
        boolean anyFeature = false;
        for (int i = 0; i < n && !anyFeature; i++) {
            anyFeature = g.features[i] != 0;
        }
        if (!anyFeature || anyEvidence == null && sites.resolvers.size() == 0 && !sites.hasProbes()) {
            // Nothing to guard, or no check that could guard it: skip the graph.
            return new Guards(fns, g, guarded, anyEvidence);
        }
        BitSet probe = new BitSet(n);
        for (int i = 0; i < n; i++) {
            if ((g.flags[i] & CodeGraph.PROBE_INSN) != 0 || sites.isProbe(fns.vaddr[i])) {
                probe.set(i);
                continue;
            }
            for (int e = g.edgeStart[i]; e < g.edgeStart[i + 1]; e++) {
                if (sites.isProbe(g.target(g.edge(e)))) {
                    probe.set(i);
                    break;
                }
            }
        }
        for (int k = 0; k < sites.resolvers.size(); k++) {
            set(probe, fns.at(sites.resolvers.get(k)));
        }
        Calls calls = Calls.of(fns, g);
        CapabilityFlags.spread(fns, g, sites, probe, calls);
        BitSet dispatcher = (BitSet) probe.clone();
        for (int c = 0; c < calls.count(); c++) {
            if (probe.get(calls.to()[c])) {
                dispatcher.set(calls.from()[c]);
            }
        }
        boolean referenced = sites.referencedScope != null;
        for (int i = 0; i < n; i++) {
            boolean isProbe = probe.get(i);
            boolean isDispatcher = dispatcher.get(i);
            for (int e = g.edgeStart[i]; e < g.edgeStart[i + 1]; e++) {
                int edge = g.edge(e);
                int kind = CodeGraph.kind(edge);
                if (kind == REF && (isDispatcher || referenced) || (kind == CALL || kind == JUMP) && isProbe) {
                    int t = fns.at(g.target(edge));
                    if (t != i) {
                        set(guarded, t);
                    }
                }
            }
        }
        boolean dispatches = !probe.isEmpty() || fileEvidence != null;
        if (dispatches) {
            for (int k = 0; k < sites.variants.size(); k++) {
                set(guarded, fns.at(sites.variants.get(k)));
            }
            BitSet called = new BitSet(n);
            for (int c = 0; c < calls.count(); c++) {
                if (calls.call()[c]) {
                    called.set(calls.to()[c]);
                }
            }
            for (int k = 0; k < sites.dataPointers.size(); k++) {
                int f = fns.at(sites.dataPointers.get(k));
                if (f >= 0 && fns.vaddr[f] == sites.dataPointers.get(k) && !called.get(f)) {
                    guarded.set(f);
                }
            }
        }
        if (dispatches) {
            SiblingVariants.select(fns, g, calls, guarded);
        }
        calls.selectHelpers(fns, sites, guarded);
        guarded.or(dispatcher);
        String evidence = null;
        if (dispatches) {
            evidence = firstNonNull(g.probeEvidence, sites.evidence, fileEvidence)
                    + " (per function: what the checks select is supported, the rest required)";
            if (referenced) {
                evidence += "; " + sites.referencedScope.id() + " selects every function whose address is taken";
            }
        }
        return new Guards(fns, g, guarded, evidence);
    }

    private static void set(BitSet b, int i) {
        if (i >= 0) {
            b.set(i);
        }
    }

    private static String firstNonNull(String... s) {
        for (String x : s) {
            if (x != null) {
                return x;
            }
        }
        return null;
    }

    private static long chosenMask(ProbeSites sites) {
        long mask = 0;
        for (int bit = 0; bit < 64; bit++) {
            String flag = flag(sites.x86, bit);
            if (flag != null && sites.fileScope.covers(flag)) {
                mask |= 1L << bit;
            }
        }
        return mask;
    }

    private static String flag(boolean x86, int bit) {
        if (x86) {
            return bit < dev.gantry.scan.x86.X86Feature.values().length ? dev.gantry.scan.x86.X86Feature.of(bit).flag() : null;
        }
        return bit < dev.gantry.scan.arm64.Arm64Feature.values().length
                ? dev.gantry.scan.arm64.Arm64Feature.of(bit).flag() : null;
    }

    /** The features of instructions in functions no run-time check selects. */
    long unguardedFeatures() {
        long f = 0;
        for (int i = guarded.nextClearBit(0); i < fns.count; i = guarded.nextClearBit(i + 1)) {
            f |= g.features.length > i ? g.features[i] : 0;
        }
        return f & ~chosen;
    }

    /**
     * The features of the instructions decoded when the graph is not per function
     * (no boundaries, or over budget): all of them are then unguarded unless the file probes.
     */
    boolean perFile() {
        return fns.sectionsOnly || g.overflow;
    }

    boolean allGuarded() {
        return guarded.cardinality() >= fns.count;
    }

    /** The file offset of the first unguarded function that uses a feature of {@code mask}, or -1. */
    long firstUnguarded(long mask, long hint) {
        mask &= ~chosen;
        if (mask == 0) {
            return -1;
        }
        int h = fns.atOffset(hint);
        if (h >= 0 && !guarded.get(h)) {
            return hint;
        }
        for (int i = guarded.nextClearBit(0); i < fns.count; i = guarded.nextClearBit(i + 1)) {
            if (g.features.length > i && (g.features[i] & mask) != 0) {
                return fns.offset[i];
            }
        }
        return -1;
    }

    /** What the guards rest on, or null when the file has no run-time check. */
    String evidence() {
        return evidence;
    }
}
