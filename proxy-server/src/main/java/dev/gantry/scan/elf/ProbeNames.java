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
    }

    /** The interface whose name the NUL-terminated string at {@code at} (ending before {@code end}) is, or null. */
    DispatchApi match(ElfBytes b, long at, long end) {
        if (at < 0 || at >= Math.min(end, b.length()) || !first[b.u8(at)]) {
            return null;
        }
        for (Name n : names) {
            if (n.prefix() ? b.startsWith(at, end, n.bytes()) : b.cStringEquals(at, end, n.bytes())) {
                return apis.get(n.api());
            }
        }
        return null;
    }
}
