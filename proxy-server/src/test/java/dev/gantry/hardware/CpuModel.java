package dev.gantry.hardware;

import dev.gantry.scan.TestTools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * A QEMU user-mode CPU model and the host profile it amounts to. The flags
 * are not written down here: a small C program (CPUID on x86, AT_HWCAP and
 * AT_HWCAP2 on arm64, compiled static from {@code truth/cpuflags-*.c}) runs
 * under the model and prints them as {@code /proc/cpuinfo} names them.
 *
 * <p>QEMU 7.2 executes no AVX-512, SHA-NI or VPCLMULQDQ under any model, so
 * the matrix adds this machine's own CPU, run natively ({@link #host}), as
 * the most capable model of its architecture.
 *
 * @param arch  the OCI architecture ({@code amd64}, {@code arm64})
 * @param qemu  the {@code -cpu} argument; null for this machine's own CPU, run without emulation
 * @param label a short name for the matrix
 */
record CpuModel(String arch, String qemu, String label) {

    /** From least to most capable, per architecture: each model's flags include the previous one's. */
    static final List<CpuModel> ALL = List.of(
            new CpuModel("amd64", "qemu64,vendor=GenuineIntel", "v1"),
            new CpuModel("amd64", "Nehalem", "Nehalem"),
            new CpuModel("amd64", "SandyBridge", "SandyBridge"),
            new CpuModel("amd64", "Haswell", "Haswell"),
            new CpuModel("arm64", "cortex-a72", "cortex-a72"),
            new CpuModel("arm64", "max", "max"));

    /** The QEMU models of {@code arch}, least capable first. */
    static List<CpuModel> of(String arch) {
        return ALL.stream().filter(m -> m.arch.equals(arch)).toList();
    }

    /** This machine's own CPU, run natively. */
    static CpuModel host() {
        String arch = switch (System.getProperty("os.arch")) {
            case "aarch64", "arm64" -> "arm64";
            default -> "amd64";
        };
        return new CpuModel(arch, null, "native");
    }

    boolean isNative() {
        return qemu == null;
    }

    /** The static QEMU user-mode emulator for {@code arch}. */
    static Path emulator(String arch) {
        return Path.of(arch.equals("amd64") ? "/usr/bin/qemu-x86_64-static" : "/usr/bin/qemu-aarch64-static");
    }

    String unameMachine() {
        return arch.equals("amd64") ? "x86_64" : "aarch64";
    }

    /** Runs the flag probe under this model; {@code probe} is the static program for this architecture. */
    HostProfile profile(Path probe) throws IOException, InterruptedException {
        String out = isNative() ? TestTools.run(null, probe.toString())
                : TestTools.run(null, emulator(arch).toString(), "-cpu", qemu, probe.toString());
        Set<String> flags = new TreeSet<>(List.of(out.trim().split("\\s+")));
        return new HostProfile("linux", unameMachine(), flags, Set.of(), Set.of(), Set.of(), List.of());
    }

    /** Compiles the static flag probe for {@code arch} into {@code dir}. */
    static Path probe(String arch, Path dir) throws IOException, InterruptedException {
        String source = arch.equals("amd64") ? "cpuflags-x86.c" : "cpuflags-arm64.c";
        String compiler = arch.equals("amd64") ? "gcc" : "aarch64-linux-gnu-gcc";
        TestTools.require(compiler);
        Path c = dir.resolve(source);
        Files.write(c, TruthCorpus.resource(source));
        Path out = dir.resolve("cpuflags-" + arch);
        TestTools.run(dir, compiler, "-static", "-O2", "-o", out.toString(), c.toString());
        return out;
    }
}
