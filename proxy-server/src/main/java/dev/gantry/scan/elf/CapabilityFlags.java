package dev.gantry.scan.elf;

import static dev.gantry.scan.x86.X86CodeScanner.DATA;
import static dev.gantry.scan.x86.X86CodeScanner.REF;
import static dev.gantry.scan.x86.X86CodeScanner.STORE;

import java.util.Arrays;
import java.util.BitSet;

/**
 * Checks whose answer is left in a variable: extends the probes of {@link Guards} to the
 * functions that read a capability flag a check wrote, and to the callers of short predicates
 * over it. Works on a stripped file, where the flag has no name.
 */
final class CapabilityFlags {
    private CapabilityFlags() {
    }

    /** Marks in {@code probe} the readers of capability flags, then the callers of predicates. */
    static void spread(Functions fns, CodeGraph g, ProbeSites sites, BitSet probe, Calls calls) {
        flagReaders(fns, g, sites, probe, calls);
        predicateCallers(fns, g, probe, calls);
    }

    /**
     * Marks as probes the functions that read a variable a probe, or a direct caller of a probe,
     * writes (within 16 bytes of the store): the capability flags a check leaves behind
     * ({@code OPENSSL_ia32cap_P}, which {@code OPENSSL_cpuid_setup} fills from the CPUID
     * function it calls; DPDK's {@code wait_supported}, set by an initialiser that called
     * {@code rte_cpu_get_flag_enabled}). A caller of a function that executes CPUID or reads an ID
     * register also "writes" the data whose address it takes: it hands it to the probe to fill
     * ({@code OPENSSL_ia32_cpuid(OPENSSL_ia32cap_P)}). What a caller writes counts only in writable
     * sections, and a writer is never its own reader (a {@code main} that calls the check and
     * fills its own arrays selects nothing by that).
     */
    private static void flagReaders(Functions fns, CodeGraph g, ProbeSites sites, BitSet probe, Calls calls) {
        LongList stores = new LongList(ProbeSites.MAX_ENTRIES);
        BitSet writers = (BitSet) probe.clone();
        BitSet fillers = new BitSet(fns.count);
        for (int c = 0; c < calls.count(); c++) {
            if (probe.get(calls.to()[c])) {
                writers.set(calls.from()[c]);
                if ((g.flags[calls.to()[c]] & CodeGraph.PROBE_INSN) != 0) {
                    fillers.set(calls.from()[c]);
                }
            }
        }
        for (int i = writers.nextSetBit(0); i >= 0; i = writers.nextSetBit(i + 1)) {
            for (int e = g.edgeStart[i]; e < g.edgeStart[i + 1]; e++) {
                int edge = g.edge(e);
                boolean callerOnly = !probe.get(i);
                if ((CodeGraph.kind(edge) == STORE || CodeGraph.kind(edge) == REF && fillers.get(i))
                        && (!callerOnly || sites.isWritable(g.target(edge)))) {
                    stores.add(g.target(edge));
                }
            }
        }
        if (stores.size() == 0) {
            return;
        }
        long[] s = stores.sortedUnique();
        BitSet readers = new BitSet(fns.count);
        for (int i = 0; i < fns.count; i++) {
            for (int e = g.edgeStart[i]; e < g.edgeStart[i + 1] && !writers.get(i); e++) {
                int edge = g.edge(e);
                if ((CodeGraph.kind(edge) == DATA || CodeGraph.kind(edge) == REF)
                        && g.target(edge) >= s[0] - 15 && g.target(edge) <= s[s.length - 1] + 15) {
                    int at = Arrays.binarySearch(s, g.target(edge) - 15);
                    int ins = at >= 0 ? at : -at - 1;
                    if (ins < s.length && s[ins] <= g.target(edge) + 15) {
                        readers.set(i);
                        break;
                    }
                }
            }
        }
        probe.or(readers);
    }

    /** Leaf probes at most this long are predicates ({@code ossl_rsaz_avx512ifma_eligible()}). */
    static final int PREDICATE_BYTES = 128;

    /**
     * Marks as probes the callers of a predicate: a short probe that calls and jumps to nothing, only tests a
     * capability and returns the answer ({@code if (ossl_rsaz_avx512ifma_eligible())
     * ossl_rsaz_mod_exp_avx512_x2(...)}): the caller branches on it, so it selects what it calls.
     */
    private static void predicateCallers(Functions fns, CodeGraph g, BitSet probe, Calls calls) {
        BitSet predicate = new BitSet(fns.count);
        for (int i = probe.nextSetBit(0); i >= 0; i = probe.nextSetBit(i + 1)) {
            if (fns.length[i] <= PREDICATE_BYTES && !callsOrJumps(g, i)) {
                predicate.set(i);
            }
        }
        for (int c = 0; c < calls.count(); c++) {
            if (calls.call()[c] && predicate.get(calls.to()[c])) {
                probe.set(calls.from()[c]);
            }
        }
    }


    /** Whether function {@code i} calls or jumps anywhere outside itself (a PLT stub included). */
    private static boolean callsOrJumps(CodeGraph g, int i) {
        for (int e = g.edgeStart[i]; e < g.edgeStart[i + 1]; e++) {
            int kind = CodeGraph.kind(g.edge(e));
            if (kind == dev.gantry.scan.x86.X86CodeScanner.CALL || kind == dev.gantry.scan.x86.X86CodeScanner.JUMP) {
                return true;
            }
        }
        return false;
    }
}
