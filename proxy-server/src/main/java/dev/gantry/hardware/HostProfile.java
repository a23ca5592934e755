package dev.gantry.hardware;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Set;

/**
 * What a host offers, as {@code gantry check} collects it (or an operator
 * writes it): architecture ({@code uname -m} or OCI spelling), CPU flags as
 * in {@code /proc/cpuinfo}, device nodes under {@code /dev}, PCI vendor IDs
 * of its devices, loaded kernel modules, and CDI device names it can inject.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record HostProfile(
        @JsonProperty("os") String os,
        @JsonProperty("architecture") String architecture,
        @JsonProperty("cpuFlags") Set<String> cpuFlags,
        @JsonProperty("devices") Set<String> devices,
        @JsonProperty("pciVendors") Set<String> pciVendors,
        @JsonProperty("kernelModules") Set<String> kernelModules,
        @JsonProperty("cdiDevices") List<String> cdiDevices) {

    public HostProfile {
        os = os == null ? "linux" : os;
        cpuFlags = cpuFlags == null ? Set.of() : Set.copyOf(cpuFlags);
        devices = devices == null ? Set.of() : Set.copyOf(devices);
        pciVendors = pciVendors == null ? Set.of() : Set.copyOf(pciVendors);
        kernelModules = kernelModules == null ? Set.of() : Set.copyOf(kernelModules);
        cdiDevices = cdiDevices == null ? List.of() : List.copyOf(cdiDevices);
    }

    /** The architecture in OCI spelling ({@code x86_64} → {@code amd64}, {@code aarch64} → {@code arm64}). */
    public String ociArchitecture() {
        if (architecture == null) {
            return null;
        }
        return switch (architecture) {
            case "x86_64", "x86-64" -> "amd64";
            case "aarch64", "arm64e" -> "arm64";
            case "armv7l", "armhf" -> "arm";
            case "i686", "i386" -> "386";
            default -> architecture;
        };
    }

    /** The highest x86-64 level these flags reach (1 to 4), or 0 for a non-x86 host. */
    public int x86Level() {
        if (!"amd64".equals(ociArchitecture())) {
            return 0;
        }
        boolean v2 = cpuFlags.containsAll(List.of("cx16", "lahf_lm", "popcnt", "pni", "ssse3", "sse4_1", "sse4_2"));
        boolean v3 = v2 && cpuFlags.containsAll(List.of("avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave"));
        boolean v4 = v3 && cpuFlags.containsAll(List.of("avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"));
        return v4 ? 4 : v3 ? 3 : v2 ? 2 : 1;
    }
}
