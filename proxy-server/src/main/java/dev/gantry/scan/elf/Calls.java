package dev.gantry.scan.elf;

import static dev.gantry.scan.x86.X86CodeScanner.CALL;
import static dev.gantry.scan.x86.X86CodeScanner.JUMP;

import java.util.BitSet;

/**
 * The direct calls and jumps between functions of a file ({@link CodeGraph}'s {@code CALL} and
 * {@code JUMP} edges), resolved to function indexes once, in caller order; what the passes of
 * {@link Guards}, {@link CapabilityFlags} and {@link SiblingVariants} walk instead of looking each
 * target up again.
 */
record Calls(int count, int[] from, int[] to, boolean[] call) {
    static Calls of(Functions fns, CodeGraph g) {
        int m = 0;
        for (int i = 0; i < fns.count; i++) {
            for (int e = g.edgeStart[i]; e < g.edgeStart[i + 1]; e++) {
                int kind = CodeGraph.kind(g.edge(e));
                m += kind == CALL || kind == JUMP ? 1 : 0;
            }
        }
        int[] from = new int[m];
        int[] to = new int[m];
        boolean[] call = new boolean[m];
        int c = 0;
        for (int i = 0; i < fns.count; i++) {
            for (int e = g.edgeStart[i]; e < g.edgeStart[i + 1]; e++) {
                int kind = CodeGraph.kind(g.edge(e));
                if (kind == CALL || kind == JUMP) {
                    int t = fns.at(g.target(g.edge(e)));
                    if (t >= 0 && t != i) {
                        from[c] = i;
                        to[c] = t;
                        call[c] = kind == CALL;
                        c++;
                    }
                }
            }
        }
        return new Calls(c, from, to, call);
    }

    /**
     * Adds to {@code selected} the functions the file does not export whose every direct caller
     * in the file is selected: helpers of selected code (an AVX2 kernel's local subroutines).
     */
    void selectHelpers(Functions fns, ProbeSites sites, BitSet selected) {
        if (selected.isEmpty()) {
            return;
        }
        int n = fns.count;
        boolean[] exported = new boolean[n];
        for (int k = 0; k < sites.exported.size(); k++) {
            int f = fns.at(sites.exported.get(k));
            if (f >= 0) {
                exported[f] = true;
            }
        }
        // Per function: how many of its direct calls come from unselected callers, and whether it has any.
        int[] unselectedCalls = new int[n];
        boolean[] called = new boolean[n];
        int[] firstCall = new int[n + 1]; // calls are in caller order: those of f are [firstCall[f], firstCall[f + 1])
        for (int c = 0; c < count; c++) {
            called[to[c]] = true;
            if (!selected.get(from[c])) {
                unselectedCalls[to[c]]++;
            }
            firstCall[from[c] + 1] = c + 1;
        }
        for (int f = 1; f <= n; f++) {
            firstCall[f] = Math.max(firstCall[f], firstCall[f - 1]);
        }
        // Rounds as before (at most 8): a round selects, all at once, every function left with no
        // unselected caller; its calls then no longer count against their callees.
        int[] round = new int[n];
        int size = 0;
        for (int f = 0; f < n; f++) {
            if (called[f] && unselectedCalls[f] == 0 && !exported[f] && !selected.get(f)) {
                round[size++] = f;
            }
        }
        int[] next = new int[n];
        for (int r = 0; r < 8 && size > 0; r++) {
            for (int k = 0; k < size; k++) {
                selected.set(round[k]);
            }
            int nextSize = 0;
            for (int k = 0; k < size; k++) {
                int f = round[k];
                for (int c = firstCall[f]; c < firstCall[f + 1]; c++) {
                    int t = to[c];
                    if (--unselectedCalls[t] == 0 && !exported[t] && !selected.get(t)) {
                        next[nextSize++] = t;
                    }
                }
            }
            int[] swap = round;
            round = next;
            next = swap;
            size = nextSize;
        }
    }
}
