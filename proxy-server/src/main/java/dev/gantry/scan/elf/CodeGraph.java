package dev.gantry.scan.elf;

import java.util.Arrays;

/**
 * What decoding found per function: the CPU features of its instructions,
 * whether it probes the CPU itself (CPUID, XGETBV, an {@code MRS} of an ID
 * register), and the addresses it calls, jumps to, takes or reads — a light
 * call and reference graph from which {@link Guards} tells the functions a
 * run-time check selects.
 *
 * <p>Bounded: the edge array grows only as far as the analysis's
 * {@link ElfAnalyzer.Budget} allows; when it refuses, the graph is marked
 * {@link #overflow} and the file falls back to per-file evidence. Targets are
 * kept as 29-bit offsets from the lowest loaded address (files up to 512 MiB
 * of address space), the kind in the top 3 bits.
 */
final class CodeGraph {
    static final int PROBE_INSN = 1;
    private static final int REL_MASK = (1 << 29) - 1;
    private static final int INITIAL = 4096;

    final Functions fns;
    final long[] features;
    final byte[] flags;
    /** The edges of function i are {@code edges[edgeStart[i] .. edgeStart[i + 1])}. */
    final int[] edgeStart;
    private int[] edges = new int[INITIAL];
    private int edgeCount;
    private final long base;
    private final ElfAnalyzer.Budget budget;
    private long charged;
    /** Whether an edge was dropped because the budget ran out: the graph is incomplete. */
    boolean overflow;
    /** The first CPU probe instruction, for evidence. */
    String probeEvidence;
    private int current = -1;
    /**
     * The last edge seen per hash slot, and the function it was seen in: every
     * pass over the graph treats a function's edges as a set, and a third of
     * them or more repeat (the same callee or variable used again). Dropping
     * repeats here saves a binary search per repeat in each pass; a lossy
     * cache (a collision keeps both) costs nothing per edge beyond two loads.
     */
    private final int[] recent = new int[256];
    private final int[] recentStamp = new int[256];

    CodeGraph(Functions fns, long base, ElfAnalyzer.Budget budget) {
        this.fns = fns;
        this.base = base;
        this.budget = budget;
        long fixed = (13L + AddressIndex.BYTES_PER_FUNCTION) * fns.count + 8 + 4L * INITIAL;
        if (budget.charge(fixed)) {
            charged = fixed;
            fns.index();
        } else {
            overflow = true;
        }
        this.features = new long[overflow ? 0 : fns.count];
        this.flags = new byte[overflow ? 0 : fns.count];
        this.edgeStart = new int[overflow ? 1 : fns.count + 1];
        Arrays.fill(recentStamp, -1);
    }

    /** Starts recording function {@code i} (functions are decoded in index order). */
    void begin(int i) {
        for (int k = current + 1; k <= i && !overflow; k++) {
            edgeStart[k] = edgeCount;
        }
        current = i;
    }

    /** Ends recording: functions not decoded (time limit) get no edges. */
    void finish() {
        if (!overflow) {
            for (int k = current + 1; k <= fns.count; k++) {
                edgeStart[k] = edgeCount;
            }
        }
    }

    void features(long f) {
        if (!overflow) {
            features[current] |= f;
        }
    }

    void probe(String evidence) {
        if (!overflow) {
            flags[current] |= PROBE_INSN;
        }
        if (probeEvidence == null) {
            probeEvidence = evidence;
        }
    }

    /** Records a reference of {@code kind} (an {@code X86CodeScanner} kind) to {@code target}. */
    void edge(int kind, long target) {
        long rel = target - base;
        if (overflow || rel < 0 || rel > REL_MASK) {
            return;
        }
        if (kind >= dev.gantry.scan.x86.X86CodeScanner.CALL) {
            long start = fns.vaddr[current];
            if (target >= start && target - start < fns.length[current]) {
                return; // a branch inside the function
            }
        }
        int e = kind << 29 | (int) rel;
        int slot = (e * 0x9E3779B9) >>> 24;
        if (recentStamp[slot] == current && recent[slot] == e) {
            return; // a repeat within the function
        }
        recentStamp[slot] = current;
        recent[slot] = e;
        if (edgeCount == edges.length) {
            long more = 4L * edges.length;
            if (edges.length >= (1 << 27) || !budget.charge(more)) {
                overflow = true;
                return;
            }
            charged += more;
            edges = Arrays.copyOf(edges, edges.length * 2);
        }
        edges[edgeCount++] = e;
    }

    static int kind(int edge) {
        return edge >>> 29;
    }

    long target(int edge) {
        return base + (edge & REL_MASK);
    }

    int edge(int index) {
        return edges[index];
    }

    /** Gives back to the budget what the graph took. */
    void release() {
        budget.release(charged);
        charged = 0;
        edges = null;
    }
}
