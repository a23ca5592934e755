package dev.gantry.scan.kb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gantry.schema.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KnowledgeBaseTest {
    static final Path CONF = Path.of("..", "conf", "hardware-kb");

    @Test
    void theEmbeddedCopyIsTheConfDirectory() {
        assertThat(KnowledgeBase.embedded().version()).isEqualTo(KnowledgeBase.load(CONF).version());
    }

    @Test
    void theVersionIsTheContentDigestAndChangesWithAnyByte(@TempDir Path dir) throws Exception {
        KnowledgeBase original = KnowledgeBase.load(CONF);
        assertThat(original.version()).matches("sha256:[0-9a-f]{64}");
        copy(CONF, dir);
        assertThat(KnowledgeBase.load(dir).version()).isEqualTo(original.version());
        Path nvidia = dir.resolve("nvidia.yaml");
        Files.writeString(nvidia, Files.readString(nvidia) + "\n# a comment is a change too\n");
        assertThat(KnowledgeBase.load(dir).version()).isNotEqualTo(original.version());
    }

    @Test
    void everySignalFamilyOfTheHardwareReferenceIsCovered() {
        KnowledgeBase kb = KnowledgeBase.embedded();
        Map<String, String> expected = new HashMap<>();
        expected.put("/usr/local/cuda-12.2/lib64/libcudart.so.12", "gpu.nvidia");
        expected.put("/usr/lib/x86_64-linux-gnu/libcudnn.so.8", "gpu.nvidia");
        expected.put("/usr/lib/python3/site-packages/nvidia/cublas/lib/libcublas.so.12", "gpu.nvidia");
        expected.put("/opt/rocm-5.7.0/lib/libamdhip64.so.5", "gpu.amd");
        expected.put("/usr/lib/x86_64-linux-gnu/libze_loader.so.1", "gpu.intel");
        expected.put("/etc/OpenCL/vendors/nvidia.icd", "opencl");
        expected.put("/usr/lib/x86_64-linux-gnu/dri/iHD_drv_video.so", "gpu.dri");
        expected.put("/usr/lib/x86_64-linux-gnu/dri/radeonsi_drv_video.so", "gpu.dri");
        // Vulkan ICD manifests are read: their library_path names the driver (RunnerOutputTest)
        assertThat(kb.matchContentPath("/usr/share/vulkan/icd.d/radeon_icd.x86_64.json"))
                .extracting(r -> r.implies().hardware()).contains("gpu.dri", "gpu.amd", "gpu.software");
        expected.put("/usr/lib/x86_64-linux-gnu/libsgx_urts.so.2", "sgx");
        expected.put("/app/python.manifest.sgx", "sgx");
        expected.put("/opt/xilinx/xrt/lib/libxrt_coreutil.so.2", "fpga.xilinx");
        expected.put("/usr/lib/libopae-c.so.2", "fpga.intel");
        expected.put("/usr/lib/habanalabs/libSynapse.so", "accel.habana");
        expected.put("/opt/aws/neuron/lib/libnrt.so.1", "accel.neuron");
        expected.put("/usr/local/lib/python3.10/site-packages/libtpu/libtpu.so", "accel.tpu");
        expected.put("/usr/lib/x86_64-linux-gnu/libibverbs.so.1", "rdma");
        expected.put("/usr/lib/x86_64-linux-gnu/librte_eal.so.23", "dpdk");
        expected.put("/usr/bin/qemu-system-x86_64", "kvm");
        expected.put("/usr/lib/x86_64-linux-gnu/libtss2-esys.so.0", "tpm");
        expected.put("/usr/lib/x86_64-linux-gnu/libusb-1.0.so.0", "usb");
        expected.put("/usr/lib/x86_64-linux-gnu/libv4l2.so.0", "video4linux");
        expected.put("/usr/lib/x86_64-linux-gnu/libasound.so.2", "alsa");
        expected.forEach((path, hw) -> assertThat(kb.matchPath(path)).as(path)
                .anySatisfy(r -> assertThat(r.implies().hardware()).isEqualTo(hw)));
        for (String plain : new String[] {"/usr/bin/curl", "/usr/lib/x86_64-linux-gnu/libc.so.6",
                "/usr/share/doc/curl/copyright", "/etc/nginx/nginx.conf", "/usr/bin/python3.11"}) {
            assertThat(kb.matchPath(plain)).as(plain).isEmpty();
        }
    }

    @Test
    void everyRuleNamesADefinedHardwareClassAndEveryClassHasDevicesOrVolumes() {
        KnowledgeBase kb = KnowledgeBase.embedded();
        kb.hardwareClasses().values().stream().filter(c -> !c.name().equals("gpu.software"))
                .forEach(c -> assertThat(c.devices().size() + c.volumes().size()).as(c.name()).isPositive());
        assertThat(kb.hardware("gpu.software").devices()).as("software rendering needs no device").isEmpty();
        assertThat(kb.hardware("gpu.nvidia").cdi()).containsExactly("nvidia.com/gpu=all");
        assertThat(kb.hardware("sgx").volumes()).contains("/var/run/aesmd");
    }

    @Test
    void everyClassesDevicesAreConcretePathsDockerRunDeviceAccepts() {
        KnowledgeBase kb = KnowledgeBase.embedded();
        kb.hardwareClasses().values().forEach(c -> assertThat(c.devices()).as(c.name())
                .allSatisfy(d -> assertThat(d).startsWith("/dev/").doesNotContainPattern("[*?\\[{]")));
        assertThat(kb.hardware("gpu.nvidia").devices()).containsExactly("/dev/nvidiactl", "/dev/nvidia-uvm",
                "/dev/nvidia0");
        assertThat(kb.hardware("gpu.nvidia").patterns()).contains("/dev/nvidia[0-9]*");
        assertThat(kb.hardware("gpu.amd").devices()).contains("/dev/kfd", "/dev/dri");
        assertThat(kb.hardware("rdma").devices()).contains("/dev/infiniband/uverbs0");
    }

    @Test
    void cdiNamesAreOnlyThoseVendorsPublishAndRdmaHasNone() {
        KnowledgeBase kb = KnowledgeBase.embedded();
        kb.hardwareClasses().values().forEach(c -> assertThat(c.cdi()).as(c.name())
                .isSubsetOf("nvidia.com/gpu=all", "amd.com/gpu=all"));
        assertThat(kb.hardware("rdma").cdi()).isEmpty();
        assertThat(kb.hardware("gpu.amd").cdi()).containsExactly("amd.com/gpu=all");
    }

    @Test
    void aPatternUnderDevicesIsRejectedNamingTheKey(@TempDir Path dir) throws Exception {
        write(dir, "hardware:\n  gpu.x: { devices: [\"/dev/x[0-9]*\"] }\n");
        assertThatThrownBy(() -> KnowledgeBase.load(dir)).isInstanceOf(KnowledgeBaseException.class)
                .hasMessageContaining("gpu.x.devices").hasMessageContaining("patterns");
        write(dir, "hardware:\n  gpu.x: { devices: [/dev/x0], patterns: [\"/dev/x[0-9]*\"] }\n");
        assertThat(KnowledgeBase.load(dir).hardware("gpu.x").patterns()).containsExactly("/dev/x[0-9]*");
    }

    @Test
    void aFileScopedDispatchMayNameTheFeaturesItChoosesAndOnlyAFileScopedOne(@TempDir Path dir) throws Exception {
        write(dir, "cpu:\n  dispatch:\n    - { id: z, symbols: [z_version], selects: file, features: [bmi2, \"avx*\"] }\n");
        DispatchApi z = KnowledgeBase.load(dir).dispatchApis().get(0);
        assertThat(z.covers("bmi2")).isTrue();
        assertThat(z.covers("avx512f")).as("a trailing * is a prefix").isTrue();
        assertThat(z.covers("sse4_1")).isFalse();
        write(dir, "cpu:\n  dispatch:\n    - { id: z, symbols: [z_version], selects: caller, features: [bmi2] }\n");
        assertThatThrownBy(() -> KnowledgeBase.load(dir)).isInstanceOf(KnowledgeBaseException.class)
                .hasMessageContaining("z.features");
        assertThat(KnowledgeBase.embedded().dispatchApis()).filteredOn(a -> a.id().equals("zstd")).singleElement()
                .satisfies(a -> assertThat(a.covers("bmi2") && !a.covers("avx2")).isTrue());
    }

    @Test
    void theCRuntimeListIsDataAndCoversGlibcItsLoaderHwcapsAndGccsRuntime(@TempDir Path dir) throws Exception {
        KnowledgeBase kb = KnowledgeBase.embedded();
        for (String rt : new String[] {"/usr/lib/x86_64-linux-gnu/libc.so.6", "/lib/x86_64-linux-gnu/libm.so.6",
                "/usr/lib/x86_64-linux-gnu/libmvec.so.1", "/usr/lib64/ld-linux-x86-64.so.2",
                "/usr/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1",
                "/usr/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3/libc.so.6",
                "/usr/lib/aarch64-linux-gnu/libgcc_s.so.1", "/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30",
                "/usr/lib/x86_64-linux-gnu/libgomp.so.1.0.0"}) {
            assertThat(kb.isCRuntime(rt)).as(rt).isTrue();
        }
        for (String app : new String[] {"/usr/bin/python3.11", "/usr/lib/x86_64-linux-gnu/libz.so.1",
                "/usr/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3/libsimdjson.so.14", "/usr/lib/libcrypto.so.3"}) {
            assertThat(kb.isCRuntime(app)).as(app).isFalse();
        }
        write(dir, "cpu:\n  runtime: [\"libmyc.so*\"]\n");
        KnowledgeBase custom = KnowledgeBase.load(dir);
        assertThat(custom.isCRuntime("/lib/libmyc.so.1")).as("from the data, not code").isTrue();
        assertThat(custom.isCRuntime("/lib/libc.so.6")).isFalse();
    }

    @Test
    void manPagesAndDocsNeverMatchLibraryGlobs() {
        KnowledgeBase kb = KnowledgeBase.embedded();
        assertThat(kb.matchPath("/usr/lib/x86_64-linux-gnu/libOpenCL.so.1")).isNotEmpty();
        assertThat(kb.matchPath("/usr/share/man/man7/libOpenCL.so.7.gz")).isEmpty();
        assertThat(kb.matchPath("/usr/share/doc/libcudart12/libcudart.so.12.gz")).isEmpty();
        assertThat(kb.matchContentPath("/usr/share/doc/x/etc/OpenCL/vendors/intel.icd")).isEmpty();
        assertThat(kb.matchContentPath("/etc/OpenCL/vendors/intel.icd")).isNotEmpty();
    }

    @Test
    void levelsAndClosureUpgradesComeFromTheData() {
        KnowledgeBase kb = KnowledgeBase.embedded();
        Rule linked = kb.rules(Rule.Kind.NEEDED).stream().filter(r -> r.matchesName("libcuda.so.1")).findFirst()
                .orElseThrow();
        assertThat(linked.implies().level()).isEqualTo(Level.SUPPORTED);
        assertThat(linked.implies().closureLevel()).isEqualTo(Level.REQUIRED);
        Rule urts = kb.rules(Rule.Kind.PATH).stream().filter(r -> r.id().equals("sgx.urts")).findFirst().orElseThrow();
        assertThat(urts.implies().level()).as("present only: a device library stays optional").isEqualTo(Level.SUPPORTED);
        assertThat(urts.implies().closureLevel()).isEqualTo(Level.REQUIRED);
        Rule hw = kb.rules(Rule.Kind.ENV).stream().filter(r -> r.id().equals("sgx.mode-hw")).findFirst().orElseThrow();
        assertThat(hw.matchesValue("HW")).isTrue();
        assertThat(hw.matchesValue("SIM")).isFalse();
        assertThat(kb.alwaysRequired()).contains("sgx");
    }

    @Test
    void hwcapsLevelsExpandToTheirFeatures() {
        Rule v3 = KnowledgeBase.embedded().rules().stream().filter(r -> r.id().equals("cpu.glibc-hwcaps-v3"))
                .findFirst().orElseThrow();
        assertThat(v3.implies().cpu()).contains("avx2", "fma", "bmi2", "sse4_2", "popcnt").doesNotContain("avx512f");
    }

    @Test
    void anUnknownKeyFailsNamingFileRuleAndKey(@TempDir Path dir) throws Exception {
        write(dir, """
                rules:
                  - id: x.typo
                    match: { paht: ["libx.so"] }
                    implies: { hardware: kvm, level: supported }
                """);
        assertThatThrownBy(() -> KnowledgeBase.load(dir)).isInstanceOf(KnowledgeBaseException.class)
                .hasMessageContaining("one.yaml").hasMessageContaining("x.typo").hasMessageContaining("paht");
    }

    @Test
    void aBadLevelOrUndefinedHardwareOrDuplicateIdFails(@TempDir Path dir) throws Exception {
        write(dir, "rules:\n  - id: a\n    match: { path: [x] }\n    implies: { hardware: kvm, level: maybe }\n");
        assertThatThrownBy(() -> KnowledgeBase.load(dir)).hasMessageContaining("level");
        write(dir, "hardware:\n  kvm: { devices: [/dev/kvm] }\nrules:\n"
                + "  - id: a\n    match: { path: [x] }\n    implies: { hardware: kvm, level: supported, closure: always }\n");
        assertThatThrownBy(() -> KnowledgeBase.load(dir)).hasMessageContaining("rule a: implies.closure");
        write(dir, "rules:\n  - id: a\n    match: { path: [x] }\n    implies: { hardware: warp-drive, level: required }\n");
        assertThatThrownBy(() -> KnowledgeBase.load(dir)).hasMessageContaining("warp-drive");
        write(dir, "hardware:\n  kvm: { devices: [/dev/kvm] }\nrules:\n"
                + "  - id: a\n    match: { path: [x] }\n    implies: { hardware: kvm, level: required }\n"
                + "  - id: a\n    match: { path: [y] }\n    implies: { hardware: kvm, level: required }\n");
        assertThatThrownBy(() -> KnowledgeBase.load(dir)).hasMessageContaining("'a' is used twice");
    }

    @Test
    void anIndexThatPointsOutsideTheDirectoryIsRefused(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("index.yaml"), "format: 1\nfiles: [../secret.yaml]\n");
        assertThatThrownBy(() -> KnowledgeBase.load(dir)).isInstanceOf(KnowledgeBaseException.class)
                .hasMessageContaining("same directory");
    }

    private static void write(Path dir, String yaml) throws Exception {
        Files.writeString(dir.resolve("index.yaml"), "format: 1\nfiles: [one.yaml]\n");
        Files.writeString(dir.resolve("one.yaml"), yaml, StandardCharsets.UTF_8);
    }

    private static void copy(Path from, Path to) throws Exception {
        try (var s = Files.list(from)) {
            for (Path p : s.toList()) {
                Files.copy(p, to.resolve(p.getFileName()));
            }
        }
    }
}
