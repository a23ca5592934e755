package dev.gantry.scan.elf;

import java.util.BitSet;

/**
 * Instruction-set variants recognised by their shape, for files whose variants have lost their
 * names (stripped) and are chosen by a flag the call graph cannot follow (a bool in a context
 * struct, an enum built after {@code is_x86_feature_detected!}): among the functions one function
 * calls or jumps to directly,
 *
 * <ul>
 * <li><em>twins</em>: two of about the same size (within a quarter) of which one uses instructions
 *     the other does not — one source compiled twice, once with a {@code target} attribute (zstd's
 *     {@code DYNAMIC_BMI2} {@code _bmi2}/{@code _default} pairs, chosen by {@code if (bmi2)});
 *     the one with the features is the variant;</li>
 * <li><em>alternatives</em>: two within a factor of two in size whose feature sets are neither a
 *     subset of the other (an SSSE3 and an AVX2 implementation of one kernel: Rust's aho-corasick
 *     Teddy, libgcrypt's cipher bulk functions); both are variants — code that needed both
 *     unconditionally would not carry two implementations.</li>
 * </ul>
 *
 * Applied only in a file that has a run-time check ({@link Guards}). A known miss: two unrelated
 * helpers that happen to fit these shapes are taken for variants.
 */
final class SiblingVariants {
    /** Callees compared per caller at most (the pairs are quadratic). */
    static final int MAX_CALLEES = 64;

    private SiblingVariants() {
    }

    static void select(Functions fns, CodeGraph g, Calls calls, BitSet selected) {
        int[] callees = new int[MAX_CALLEES];
        int c = 0;
        while (c < calls.count()) {
            int from = calls.from()[c];
            int k = 0;
            for (; c < calls.count() && calls.from()[c] == from; c++) {
                int t = calls.to()[c];
                if (k < MAX_CALLEES && !contains(callees, k, t)) {
                    callees[k++] = t;
                }
            }
            for (int a = 0; a < k; a++) {
                if (g.features[callees[a]] == 0) {
                    continue; // uses nothing its siblings could lack: never a variant
                }
                for (int b = 0; b < k; b++) {
                    if (a != b && variant(fns, g, callees[a], callees[b])) {
                        selected.set(callees[a]);
                    }
                }
            }
        }
    }

    /** Whether {@code a} is an instruction-set variant beside its sibling {@code b}. */
    private static boolean variant(Functions fns, CodeGraph g, int a, int b) {
        long fa = g.features[a];
        long fb = g.features[b];
        if ((fa & ~fb) == 0) {
            return false; // a uses nothing b does not
        }
        long la = fns.length[a];
        long lb = fns.length[b];
        if ((fb & ~fa) == 0) {
            return 4 * Math.abs(la - lb) <= Math.max(la, lb); // twins
        }
        return Math.max(la, lb) <= 2 * Math.min(la, lb); // alternatives
    }

    private static boolean contains(int[] a, int n, int v) {
        for (int i = 0; i < n; i++) {
            if (a[i] == v) {
                return true;
            }
        }
        return false;
    }
}
