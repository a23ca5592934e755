package dev.gantry.scan.elf;

import dev.gantry.scan.kb.DispatchApi;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The symbol names that mean "this code asks the CPU what it has": the
 * compiler's and C library's own ({@code __cpu_model}, {@code getauxval}...)
 * and the knowledge base's feature-query interfaces ({@code cpu.dispatch}:
 * DPDK, OpenSSL, FFmpeg...). Names are matched against the bytes of a string
 * table without building strings, so a million-symbol table costs no garbage.
 *
 * <p>Immutable and thread-safe.
 */
public final class ProbeNames {
    /**
     * Symbols of libgcc's and glibc's CPU probing: what gcc's {@code __builtin_cpu_supports} reads, getauxval,
     * and where glibc keeps the CPU features its own dispatch reads ({@code _rtld_global_ro}).
     */
    static final List<String> BUILT_IN = List.of("__cpu_model", "__cpu_indicator_init", "__cpu_features2",
            "getauxval", "__getauxval", "__get_cpu_features", "__x86_get_cpu_features",
            "__x86_get_cpuid_feature_leaf", "__aarch64_have_lse_atomics", "_rtld_global_ro", "_dl_x86_cpu_features",
            "_dl_x86_get_cpu_features");

    private record Name(byte[] bytes, boolean prefix, int api) {
    }

    private final List<Name> names = new ArrayList<>();
    private final List<DispatchApi> apis = new ArrayList<>();
    private final boolean[] first = new boolean[256];
    /**
     * The distinct first two bytes of the names ({@code b0 << 8 | b1}), sorted, and the names with each
     * in {@link #byFirstTwo}; null when a name is shorter (then all are compared).
     */
    private int[] firstTwo;
    private List<List<Name>> byFirstTwo;

    /** The built-in names and those of {@code apis}. */
    public ProbeNames(List<DispatchApi> apis) {
        this.apis.add(new DispatchApi("cpu-probe", "libgcc/glibc CPU probing", BUILT_IN, DispatchApi.Selects.CALLER));
        this.apis.addAll(apis);
        for (int i = 0; i < this.apis.size(); i++) {
            for (String s : this.apis.get(i).symbols()) {
                boolean prefix = s.endsWith("*");
                byte[] b = (prefix ? s.substring(0, s.length() - 1) : s).getBytes(StandardCharsets.ISO_8859_1);
                names.add(new Name(b, prefix, i));
                first[b[0] & 0xFF] = true;
            }
        }
        // Most symbols start with '_' and pass the first-byte test: the first two bytes pick the
        // few names worth comparing (in their order, so the first match still wins).
        boolean allLong = true;
        for (Name n : names) {
            allLong &= n.bytes().length >= 2;
        }
        if (allLong) {
            java.util.TreeMap<Integer, List<Name>> groups = new java.util.TreeMap<>();
            for (Name n : names) {
                groups.computeIfAbsent((n.bytes()[0] & 0xFF) << 8 | (n.bytes()[1] & 0xFF), k -> new ArrayList<>()).add(n);
            }
            firstTwo = groups.keySet().stream().mapToInt(Integer::intValue).toArray();
            byFirstTwo = new ArrayList<>(groups.values());
        }
    }

    /** The interface whose name the NUL-terminated string at {@code at} (ending before {@code end}) is, or null. */
    DispatchApi match(ElfBytes b, long at, long end) {
        if (at < 0 || at >= Math.min(end, b.length()) || !first[b.u8(at)]) {
            return null;
        }
        List<Name> candidates = names;
        if (byFirstTwo != null) {
            if (at + 1 >= Math.min(end, b.length())) {
                return null; // every name has two bytes or more
            }
            int k = java.util.Arrays.binarySearch(firstTwo, b.u8(at) << 8 | b.u8(at + 1));
            if (k < 0) {
                return null;
            }
            candidates = byFirstTwo.get(k);
        }
        for (Name n : candidates) {
            if (n.prefix() ? b.startsWith(at, end, n.bytes()) : b.cStringEquals(at, end, n.bytes())) {
                return apis.get(n.api());
            }
        }
        return null;
    }
}
