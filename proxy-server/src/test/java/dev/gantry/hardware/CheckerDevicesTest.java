package dev.gantry.hardware;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.oci.Digest;
import dev.gantry.scan.ImageAnalyzer;
import dev.gantry.scan.ImagePlatform;
import dev.gantry.scan.LayerBuilder;
import dev.gantry.scan.LayerFindings;
import dev.gantry.scan.LayerScanner;
import dev.gantry.scan.ScanLimits;
import dev.gantry.scan.kb.KnowledgeBase;
import dev.gantry.schema.HardwareDocument;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** {@code gantry check}'s device flags are paths {@code docker run --device} accepts. */
class CheckerDevicesTest {
    private static final KnowledgeBase KB = KnowledgeBase.embedded();
    private static final LayerScanner SCANNER = new LayerScanner(KB, ScanLimits.defaults());
    private static final ImageAnalyzer ANALYZER = new ImageAnalyzer(KB, Clock.systemUTC());
    private static final Set<String> AMD_HOST = Set.of("/dev/kfd", "/dev/dri/card0", "/dev/dri/renderD128",
            "/dev/null");

    private static HardwareDocument image(String env, LayerBuilder layer) {
        return image(env, "", layer);
    }

    /** @param cmd the config's {@code Cmd} array's items, JSON, or empty */
    private static HardwareDocument image(String env, String cmd, LayerBuilder layer) {
        byte[] blob = layer.gzip();
        LayerFindings f = SCANNER.scan(Digest.sha256(blob), null, new ByteArrayInputStream(blob));
        String config = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Env\":[" + env + "]"
                + (cmd.isEmpty() ? "" : ",\"Cmd\":[" + cmd + "]") + "}}";
        return ANALYZER.analyze(null, new ImagePlatform("linux", "amd64", null),
                config.getBytes(StandardCharsets.UTF_8), List.of(f));
    }

    private static Verdict check(HardwareDocument d, Set<String> devices) {
        return check(d, Set.of(), devices, Set.of());
    }

    private static Verdict check(HardwareDocument d, Set<String> cpuFlags, Set<String> devices, Set<String> pciVendors) {
        return Checker.check("test", List.of(new HardwareService.PlatformDocument(null, d, false)),
                new HostProfile("linux", "x86_64", cpuFlags, devices, pciVendors, Set.of(), List.of()));
    }

    /** Nodes almost every systemd host has, whatever its hardware. */
    private static final Set<String> PLAIN_HOST = Set.of("/dev/null", "/dev/net/tun", "/dev/vhost-net", "/dev/vfio/vfio");

    private static Set<String> plus(String... nodes) {
        Set<String> all = new java.util.TreeSet<>(PLAIN_HOST);
        all.addAll(List.of(nodes));
        return all;
    }

    @Test
    void kvmIsThereOnlyWithDevKvmNotWithTheTunAndVhostNodesEveryHostHas() {
        HardwareDocument d = image("", "\"qemu-system-x86_64\",\"-enable-kvm\",\"-m\",\"512\"",
                new LayerBuilder().file("etc/hostname", "x"));
        assertThat(d.platform().hardware()).containsEntry("kvm", dev.gantry.schema.Level.REQUIRED);
        Verdict without = check(d, PLAIN_HOST);
        assertThat(without.verdict()).as(without.reasons().toString()).isEqualTo(Verdict.WILL_FAIL);
        assertThat(without.reasons().toString()).contains("/dev/kvm");
        Verdict with = check(d, plus("/dev/kvm"));
        assertThat(with.verdict()).as(with.reasons().toString()).isEqualTo(Verdict.RUNS);
        assertThat(with.dockerRunFlags()).contains("--device /dev/kvm");
    }

    /** A node the command line names is opened by the program: another node of its class does not stand in for it. */
    @Test
    void aDeviceTheCommandLineNamesIsRequiredItselfNotAnyNodeOfItsClass() {
        HardwareDocument d = image("", "\"ffmpeg\",\"-f\",\"v4l2\",\"-i\",\"/dev/video2\",\"out.mkv\"",
                new LayerBuilder().file("etc/hostname", "x"));
        assertThat(d.passthruDevices()).contains("/dev/video2");
        Verdict other = check(d, plus("/dev/video0"));
        assertThat(other.verdict()).as(other.reasons().toString()).isEqualTo(Verdict.WILL_FAIL);
        assertThat(other.reasons().toString()).contains("/dev/video2");
        Verdict named = check(d, plus("/dev/video0", "/dev/video2"));
        assertThat(named.verdict()).as(named.reasons().toString()).isEqualTo(Verdict.RUNS);
        assertThat(named.dockerRunFlags()).contains("--device /dev/video2");
    }

    @Test
    void anIntelGpusRenderNodeIsNoAmdGpu() {
        HardwareDocument d = image("\"LIBVA_DRIVER_NAME=radeonsi\"", new LayerBuilder().file("etc/hostname", "x"));
        Verdict intel = check(d, plus("/dev/dri/card0", "/dev/dri/renderD128"));
        assertThat(intel.verdict()).as(intel.reasons().toString()).isEqualTo(Verdict.DEGRADED);
        assertThat(intel.reasons().toString()).contains("/dev/kfd");
        assertThat(intel.dockerRunFlags()).doesNotContain("--device /dev/dri");
    }

    @Test
    void aGpuWhoseDriverIsNotLoadedIsNoGpuAndSaysWhy() {
        HardwareDocument d = image("\"NVIDIA_REQUIRE_CUDA=cuda>=12.2\"", new LayerBuilder().file("etc/hostname", "x"));
        assertThat(d.platform().hardware()).containsEntry("gpu.nvidia", dev.gantry.schema.Level.REQUIRED);
        Verdict noDriver = check(d, Set.of(), PLAIN_HOST, Set.of("10de"));
        assertThat(noDriver.verdict()).as(noDriver.reasons().toString()).isEqualTo(Verdict.WILL_FAIL);
        assertThat(noDriver.reasons().get(0).message()).contains("hardware but no device node");
        assertThat(noDriver.reasons().get(0).advice()).contains("load its driver");
        assertThat(noDriver.dockerRunFlags()).doesNotContain("--gpus all");
        // WSL2: the GPU is /dev/dxg, its PCI vendor Microsoft's; docker run --gpus all works there.
        Verdict wsl = check(d, Set.of(), plus("/dev/dxg"), Set.of("1414"));
        assertThat(wsl.verdict()).as(wsl.reasons().toString()).isEqualTo(Verdict.RUNS);
        assertThat(wsl.dockerRunFlags()).containsExactly("--gpus all");
    }

    @Test
    void sgxNeedsItsEnclaveDeviceNotTheCpuFlagAloneAndTheLegacyNodeIsPassed() {
        HardwareDocument d = image("\"SGX_MODE=HW\"", new LayerBuilder().file("etc/hostname", "x"));
        assertThat(d.platform().hardware()).containsEntry("sgx", dev.gantry.schema.Level.REQUIRED);
        Verdict flagOnly = check(d, Set.of("sgx"), PLAIN_HOST, Set.of());
        assertThat(flagOnly.verdict()).as(flagOnly.reasons().toString()).isEqualTo(Verdict.WILL_FAIL);
        Verdict legacy = check(d, Set.of("sgx"), plus("/dev/isgx"), Set.of());
        assertThat(legacy.verdict()).as(legacy.reasons().toString()).isEqualTo(Verdict.RUNS);
        assertThat(legacy.dockerRunFlags()).contains("--device /dev/isgx");
    }

    @Test
    void aDirectoryDeviceIsPassedWhenTheHostHasNodesUnderIt() {
        HardwareDocument d = image("\"LIBVA_DRIVER_NAME=radeonsi\"", new LayerBuilder().file("etc/hostname", "x"));
        assertThat(d.passthruDevices()).containsExactly("/dev/kfd", "/dev/dri");
        Verdict v = check(d, AMD_HOST);
        assertThat(v.verdict()).as(v.reasons().toString()).isEqualTo(Verdict.RUNS);
        assertThat(v.dockerRunFlags()).containsExactlyInAnyOrder("--device /dev/dri", "--device /dev/kfd");
        assertThat(check(d, Set.of("/dev/null")).verdict()).isEqualTo(Verdict.DEGRADED);
    }

    @Test
    void softwareRenderingNeedsNoDeviceAndIsNotDegradedWithoutAGpu() {
        HardwareDocument d = image("", new LayerBuilder().file("usr/share/vulkan/icd.d/lvp_icd.x86_64.json",
                "{\"ICD\":{\"api_version\":\"1.3.230\",\"library_path\":\"/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so\"},"
                        + "\"file_format_version\":\"1.0.0\"}"));
        assertThat(d.platform().hardware()).containsOnlyKeys("gpu.software");
        assertThat(d.passthruDevices()).isEmpty();
        Verdict v = check(d, Set.of("/dev/null"));
        assertThat(v.verdict()).as(v.reasons().toString()).isEqualTo(Verdict.RUNS);
        assertThat(v.dockerRunFlags()).isEmpty();
    }
}
