package dev.gantry.hardware;

import java.util.Locale;
import java.util.Map;

/**
 * How Gantry's names (CPU flags as {@code /proc/cpuinfo} spells them, device
 * classes of the knowledge base) map to Node Feature Discovery's feature names.
 */
final class NfdNames {

    /** Where NFD's {@code cpu.cpuid} spelling is not simply the flag upper-cased. */
    private static final Map<String, String> CPUID = Map.ofEntries(
            Map.entry("sse4_1", "SSE4"), Map.entry("sse4_2", "SSE42"), Map.entry("ssse3", "SSSE3"),
            Map.entry("pclmulqdq", "CLMUL"), Map.entry("sha_ni", "SHA"), Map.entry("fma", "FMA3"),
            Map.entry("abm", "LZCNT"), Map.entry("lahf_lm", "LAHF"), Map.entry("cx16", "CX16"),
            Map.entry("rdrand", "RDRAND"), Map.entry("rdseed", "RDSEED"), Map.entry("movbe", "MOVBE"),
            Map.entry("amx_tile", "AMXTILE"), Map.entry("amx_bf16", "AMXBF16"), Map.entry("amx_int8", "AMXINT8"),
            Map.entry("avx512_vnni", "AVX512VNNI"), Map.entry("avx512_bf16", "AVX512BF16"), Map.entry("avx_vnni", "AVXVNNI"),
            Map.entry("vaes", "VAES"), Map.entry("vpclmulqdq", "VPCLMULQDQ"), Map.entry("gfni", "GFNI"));

    /** PCI vendor IDs of accelerator classes. */
    private static final Map<String, String> VENDORS = Map.of(
            "gpu.nvidia", "10de", "gpu.amd", "1002", "gpu.intel", "8086", "fpga.xilinx", "10ee",
            "rdma", "15b3", "accel.habana", "1da3");

    private static final Map<String, String> MODULES = Map.of(
            "kvm", "kvm", "tpm", "tpm", "rdma", "ib_core", "vfio", "vfio");

    private NfdNames() {
    }

    static String cpuid(String flag) {
        String mapped = CPUID.get(flag);
        if (mapped != null) {
            return mapped;
        }
        return flag.matches("[a-z0-9_]+") ? flag.replace("_", "").toUpperCase(Locale.ROOT) : null;
    }

    /** {@code x86-64-v3} → {@code X86_64_V3}. */
    static String level(String level) {
        return level.replace('-', '_').toUpperCase(Locale.ROOT);
    }

    static String pciVendor(String deviceClass) {
        return VENDORS.get(deviceClass);
    }

    static String kernelModule(String deviceClass) {
        return MODULES.get(deviceClass);
    }
}
