package dev.gantry.scan;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.schema.Constraint;
import dev.gantry.schema.Descriptor;
import dev.gantry.schema.Device;
import dev.gantry.schema.Evidence;
import dev.gantry.schema.HardwareDocument;
import dev.gantry.schema.HardwareSchema;
import dev.gantry.schema.Level;
import dev.gantry.schema.ScanStatus;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageAnalyzerTest {
    private static final HardwareSchema SCHEMA = new HardwareSchema();
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2025-05-01T10:15:30Z"), ZoneOffset.UTC);
    private static final ImagePlatform AMD64 = new ImagePlatform("linux", "amd64", null);
    private static final Descriptor SUBJECT = new Descriptor("application/vnd.oci.image.manifest.v1+json",
            "sha256:" + "ab".repeat(32), 1234);

    private final ImageAnalyzer analyzer = new ImageAnalyzer(Scans.KB, CLOCK);
    private final List<HardwareDocument> produced = new ArrayList<>();

    @TempDir
    Path tmp;

    @AfterEach
    void everyDocumentValidatesAgainstTheSchema() {
        produced.forEach(SCHEMA::requireValid);
    }

    private HardwareDocument analyze(String config, LayerBuilder... layers) {
        List<LayerFindings> findings = new ArrayList<>();
        for (LayerBuilder l : layers) {
            findings.add(Scans.scan(l.gzip()));
        }
        HardwareDocument d = analyzer.analyze(SUBJECT, AMD64, config.getBytes(StandardCharsets.UTF_8), findings);
        produced.add(d);
        return d;
    }

    private static String config(String inner) {
        return "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{" + inner + "}}";
    }

    @Test
    void aPlainImageNeedsNothing() {
        HardwareDocument d = analyze(config("\"Cmd\":[\"/bin/sh\"]"),
                new LayerBuilder().file("bin/sh", "#!", 0755).file("etc/os-release", "ID=debian\n"));
        assertThat(d.platform().hardware()).isEmpty();
        assertThat(d.platform().cpu().features()).isEmpty();
        assertThat(d.platform().cpu().level()).isEqualTo("x86-64-v1");
        assertThat(d.platform().cpu().architecture()).isEqualTo("x86_64");
        assertThat(d.passthruDevices()).isEmpty();
        assertThat(d.scan().status()).isEqualTo(ScanStatus.COMPLETE);
        assertThat(d.scan().time()).isEqualTo("2025-05-01T10:15:30Z");
        assertThat(d.scan().knowledgeBase()).isEqualTo(Scans.KB.version());
        assertThat(d.subject()).isEqualTo(SUBJECT);
    }

    @Test
    void aFileDeletedByALaterLayerDoesNotCount() {
        HardwareDocument d = analyze(config(""),
                new LayerBuilder().file("usr/lib/x86_64-linux-gnu/libcudart.so.12", "x")
                        .file("usr/lib/x86_64-linux-gnu/libasound.so.2", "x"),
                new LayerBuilder().whiteout("usr/lib/x86_64-linux-gnu/libcudart.so.12"));
        assertThat(d.platform().hardware()).containsOnlyKeys("alsa");
    }

    @Test
    void anOpaqueDirectoryHidesEverythingBelowIt() {
        HardwareDocument d = analyze(config(""),
                new LayerBuilder().file("opt/vendor/lib/libibverbs.so.1", "x").file("opt/vendor/lib/libusb-1.0.so.0", "x"),
                new LayerBuilder().opaque("opt/vendor").file("opt/vendor/lib/libusb-1.0.so.0", "again"));
        assertThat(d.platform().hardware()).containsOnlyKeys("usb");
        assertThat(d.evidence()).allSatisfy(e -> assertThat(e.path()).isNotEqualTo("/opt/vendor/lib/libibverbs.so.1"));
    }

    @Test
    void aDirectoryReplacedByASymlinkHidesItsOldContents() {
        HardwareDocument d = analyze(config(""),
                new LayerBuilder().file("usr/local/cuda-12.2/lib64/libcudart.so.12", "x"),
                new LayerBuilder().whiteout("usr/local/cuda-12.2").symlink("usr/local/cuda-12.2", "/nonexistent"));
        assertThat(d.platform().hardware()).doesNotContainKey("gpu.nvidia").isEmpty();
    }

    @Test
    void nvidiaRequireCudaIsARequiredGpuWithItsParsedConstraint() {
        HardwareDocument d = analyze(config("\"Env\":[\"PATH=/usr/bin\","
                + "\"NVIDIA_REQUIRE_CUDA=cuda>=12.2 brand=tesla,driver>=470,driver<471\",\"CUDA_VERSION=12.2.0\"]"),
                new LayerBuilder().file("etc/hostname", "x"));
        assertThat(d.platform().hardware()).containsEntry("gpu.nvidia", Level.REQUIRED);
        Device gpu = d.devices().get(0);
        assertThat(gpu.cdi()).containsExactly("nvidia.com/gpu=all");
        assertThat(gpu.constraints()).containsExactly(new Constraint("NVIDIA_REQUIRE_CUDA",
                "cuda>=12.2 brand=tesla,driver>=470,driver<471",
                List.of(List.of("cuda>=12.2"), List.of("brand=tesla", "driver>=470", "driver<471"))));
        assertThat(d.passthruDevices()).contains("/dev/nvidiactl", "/dev/nvidia-uvm");
        assertThat(d.evidence()).anySatisfy(e -> {
            assertThat(e.env()).isEqualTo("NVIDIA_REQUIRE_CUDA");
            assertThat(e.rule()).isEqualTo("nvidia.require");
        });
    }

    @Test
    void cudaVersionAloneMeansCudaAtLeastMajorMinor() {
        HardwareDocument d = analyze(config("\"Env\":[\"CUDA_VERSION=11.8.0\"]"), new LayerBuilder());
        assertThat(d.platform().hardware()).containsEntry("gpu.nvidia", Level.REQUIRED);
        assertThat(d.devices().get(0).constraints()).singleElement()
                .satisfies(c -> assertThat(c.anyOf()).containsExactly(List.of("cuda>=11.8")));
    }

    @Test
    void nvidiaDisableRequireTurnsRequirementsIntoHints() {
        HardwareDocument d = analyze(config("\"Env\":[\"CUDA_VERSION=12.1.1\",\"NVIDIA_DISABLE_REQUIRE=true\"]"),
                new LayerBuilder());
        assertThat(d.platform().hardware()).containsEntry("gpu.nvidia", Level.SUPPORTED);
    }

    @Test
    void nvidiaVisibleDevicesVoidIsNotAGpu() {
        HardwareDocument none = analyze(config("\"Env\":[\"NVIDIA_VISIBLE_DEVICES=void\"]"), new LayerBuilder());
        assertThat(none.platform().hardware()).isEmpty();
        HardwareDocument all = analyze(config("\"Env\":[\"NVIDIA_VISIBLE_DEVICES=all\"]"), new LayerBuilder());
        assertThat(all.platform().hardware()).containsEntry("gpu.nvidia", Level.SUPPORTED);
    }

    @Test
    void sgxHardwareModeRequiresSgxItsDevicesAndTheAesmVolume() {
        HardwareDocument d = analyze(config("\"Env\":[\"SGX_MODE=HW\"]"), new LayerBuilder());
        assertThat(d.platform().cpu().features()).containsEntry("sgx", Level.REQUIRED);
        assertThat(d.passthruDevices()).contains("/dev/sgx_enclave", "/dev/sgx_provision");
        assertThat(d.volumes()).contains("/var/run/aesmd");
        HardwareDocument sim = analyze(config("\"Env\":[\"SGX_MODE=SIM\"]"), new LayerBuilder());
        assertThat(sim.platform().cpu().features()).containsEntry("sgx", Level.SUPPORTED);
    }

    @Test
    void labelsVolumesAndTheDockerSocketAreReported() {
        HardwareDocument d = analyze(config("\"Labels\":{\"com.nvidia.volumes.needed\":\"nvidia_driver\"},"
                + "\"Volumes\":{\"/data\":{},\"/dev/hugepages\":{}},"
                + "\"Entrypoint\":[\"/bin/sh\",\"-c\",\"docker -H unix:///var/run/docker.sock ps\"]"),
                new LayerBuilder());
        assertThat(d.platform().hardware()).containsEntry("gpu.nvidia", Level.SUPPORTED)
                .containsEntry("dpdk", Level.SUPPORTED);
        assertThat(d.volumes()).contains("/data", "/dev/hugepages", "/var/run/docker.sock");
        assertThat(d.evidence()).anySatisfy(e -> assertThat(e.label()).isEqualTo("com.nvidia.volumes.needed"));
    }

    @Test
    void gramineSgxInTheCommandRequiresSgx() {
        HardwareDocument d = analyze(config("\"Entrypoint\":[\"/bin/bash\",\"-c\",\"exec gramine-sgx python\"]"),
                new LayerBuilder());
        assertThat(d.platform().cpu().features()).containsEntry("sgx", Level.REQUIRED);
    }

    @Test
    void deviceNodesLeftInALayerAreReportedWithTheirHardware() {
        HardwareDocument d = analyze(config(""), new LayerBuilder().device("dev/kvm", true, 10, 232)
                .device("dev/sda", false, 8, 0));
        assertThat(d.evidence()).filteredOn(e -> e.kind().equals(Evidence.DEVICE_NODE))
                .extracting(Evidence::name).containsExactlyInAnyOrder("/dev/kvm", "/dev/sda");
        assertThat(d.platform().hardware()).containsEntry("kvm", Level.SUPPORTED);
    }

    @Test
    void anEntrypointLinkedToTheCudaRuntimeRequiresTheGpuThroughPathAndSymlinks() throws Exception {
        byte[] app = Files.readAllBytes(cudaApp());
        HardwareDocument d = analyze(config("\"Env\":[\"PATH=/usr/local/bin:/usr/bin\"],\"Entrypoint\":[\"app\"]"),
                new LayerBuilder().file("opt/app/bin/app-real", app, 0755).symlink("opt/app/current", "bin")
                        .symlink("usr/local/bin/app", "../../../opt/app/current/app-real"));
        assertThat(d.platform().hardware()).containsEntry("gpu.nvidia", Level.REQUIRED);
        assertThat(d.evidence()).anySatisfy(e -> {
            assertThat(e.rule()).isEqualTo("nvidia.linked-cuda");
            assertThat(e.level()).isEqualTo(Level.REQUIRED);
            assertThat(e.path()).isEqualTo("/opt/app/bin/app-real");
            assertThat(e.detail()).contains("entrypoint");
        });
    }

    @Test
    void theSameBinaryNotAsEntrypointIsOnlySupported() throws Exception {
        byte[] app = Files.readAllBytes(cudaApp());
        HardwareDocument d = analyze(config("\"Entrypoint\":[\"/bin/sh\"]"),
                new LayerBuilder().file("opt/app/app", app, 0755).file("bin/sh", "x", 0755));
        assertThat(d.platform().hardware()).containsEntry("gpu.nvidia", Level.SUPPORTED);
    }

    @Test
    void aSymlinkLoopAtTheEntrypointEndsWithANoteNotAHang() {
        HardwareDocument d = analyze(config("\"Entrypoint\":[\"/usr/bin/a\"]"),
                new LayerBuilder().symlink("usr/bin/a", "b").symlink("usr/bin/b", "/usr/bin/a"));
        assertThat(d.scan().notes()).anySatisfy(n -> assertThat(n).contains("symbolic links"));
    }

    @Test
    void glibcsOwnHwcapsCopyGivesRuntimeEvidenceNotFeaturesOrALevel() throws Exception {
        byte[] v3 = Files.readAllBytes(Programs.gcc(tmp, "v3libc", Programs.VECTOR_LOOP, "-march=x86-64-v3"));
        HardwareDocument d = analyze(config(""), new LayerBuilder()
                .file("usr/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3/libc.so.6", v3, 0755));
        assertThat(d.platform().cpu().features()).isEmpty();
        assertThat(d.platform().cpu().level()).isEqualTo("x86-64-v1");
        assertThat(d.evidence()).extracting(Evidence::kind).containsOnly(Evidence.RUNTIME_CPU_FEATURE);
        assertThat(d.evidence()).extracting(Evidence::rule).contains("elf.instructions", "cpu.glibc-hwcaps-v3");
    }

    @Test
    void manyRuntimeFindingsDoNotCrowdTheImagesOwnEvidenceOut() throws Exception {
        byte[] v3 = Files.readAllBytes(Programs.gcc(tmp, "v3many", Programs.VECTOR_LOOP, "-march=x86-64-v3"));
        LayerBuilder l = new LayerBuilder();
        for (String dir : List.of("a", "b", "c", "d", "e", "f", "g")) {
            l.file("opt/" + dir + "/libc.so.6", v3, 0755);
        }
        HardwareDocument d = analyze(config(""), l.file("usr/bin/v3", v3, 0755));
        assertThat(d.platform().cpu().features()).containsEntry("avx2", Level.REQUIRED);
        assertThat(d.evidence()).anySatisfy(e -> {
            assertThat(e.kind()).isEqualTo(Evidence.CPU_FEATURE);
            assertThat(e.name()).isEqualTo("avx2");
            assertThat(e.path()).isEqualTo("/usr/bin/v3");
        });
    }

    @Test
    void avxWithoutAvx2IsX86_64V2WithAvxRequiredNotV3() throws Exception {
        // SandyBridge runs -mavx code and is an x86-64-v2 CPU: AVX alone is no v3 need.
        byte[] avx = Files.readAllBytes(Programs.gcc(tmp, "avxonly", Programs.VECTOR_LOOP, "-mavx"));
        HardwareDocument d = analyze(config(""), new LayerBuilder().file("usr/bin/avx", avx, 0755));
        assertThat(d.platform().cpu().features()).containsEntry("avx", Level.REQUIRED).doesNotContainKey("avx2");
        assertThat(d.platform().cpu().level()).isEqualTo("x86-64-v2");
        assertThat(dev.gantry.scan.x86.X86Feature.levelNeeded(dev.gantry.scan.x86.X86Feature.AVX.bit()
                | dev.gantry.scan.x86.X86Feature.FMA.bit())).isEqualTo(3);
    }

    @Test
    void cpuFeaturesOfAnotherArchitectureDoNotCountAndTheLevelFollowsRequiredFeatures() throws Exception {
        byte[] v3 = Files.readAllBytes(Programs.gcc(tmp, "v3", Programs.VECTOR_LOOP, "-march=x86-64-v3"));
        HardwareDocument d = analyze(config(""), new LayerBuilder().file("usr/bin/v3", v3, 0755));
        assertThat(d.platform().cpu().features()).containsEntry("avx2", Level.REQUIRED);
        assertThat(d.platform().cpu().level()).isEqualTo("x86-64-v3");
        List<LayerFindings> layers = List.of(Scans.scan(new LayerBuilder().file("usr/bin/v3", v3, 0755).gzip()));
        HardwareDocument arm = analyzer.analyze(null, new ImagePlatform("linux", "arm64", "v8"),
                config("").getBytes(StandardCharsets.UTF_8), layers);
        produced.add(arm);
        assertThat(arm.platform().cpu().features()).isEmpty();
        assertThat(arm.platform().cpu().architecture()).isEqualTo("aarch64");
        assertThat(arm.platform().cpu().level()).isNull();
    }

    @Test
    void aConfigThatIsNotJsonGivesAFailedDocumentNotAnException() {
        HardwareDocument d = analyzer.analyze(SUBJECT, AMD64, "{oops".getBytes(StandardCharsets.UTF_8), List.of());
        produced.add(d);
        assertThat(d.scan().status()).isEqualTo(ScanStatus.FAILED);
        assertThat(d.scan().notes()).anySatisfy(n -> assertThat(n).contains("not valid JSON"));
    }

    @Test
    void aFailedLayerMakesTheDocumentFailedAndNamesTheLayer() {
        byte[] broken = Arrays.copyOf(new LayerBuilder().file("a", "x".repeat(4000)).gzip(), 30);
        LayerFindings bad = Scans.scan(broken);
        HardwareDocument d = analyzer.analyze(SUBJECT, AMD64, config("").getBytes(StandardCharsets.UTF_8),
                List.of(bad));
        produced.add(d);
        assertThat(d.scan().status()).isEqualTo(ScanStatus.FAILED);
        assertThat(d.scan().layers()).singleElement().satisfies(l -> {
            assertThat(l.digest()).isEqualTo(bad.layer());
            assertThat(l.reason()).isNotBlank();
        });
    }

    @Test
    void layerFindingsOfAnotherKnowledgeBaseAreFlaggedForRescan() {
        LayerFindings f = Scans.scan(new LayerBuilder().file("x", "y").gzip());
        LayerFindings stale = new LayerFindings(f.format(), f.layer(), f.scanner(), "sha256:" + "0".repeat(64),
                f.status(), f.failure(), f.reason(), f.notes(), f.compression(), f.compressedBytes(),
                f.expandedBytes(), f.entries(), f.files(), f.cpu(), f.executables(), f.elfFiles(), f.symlinks(),
                f.hardlinks(), f.devices(), f.whiteouts(), f.opaqueDirs(), f.loader());
        assertThat(Scans.SCANNER.isCurrent(f)).isTrue();
        assertThat(Scans.SCANNER.isCurrent(stale)).isFalse();
        HardwareDocument d = analyzer.analyze(SUBJECT, AMD64, config("").getBytes(StandardCharsets.UTF_8),
                List.of(stale));
        produced.add(d);
        assertThat(d.scan().notes()).anySatisfy(n -> assertThat(n).contains("rescan"));
    }

    private Path cudaApp() throws Exception {
        Path lib = tmp.resolve("libcudart.so.12");
        Files.writeString(tmp.resolve("cudart.c"), "int cudaGetDeviceCount(int *n) { *n = 0; return 0; }\n");
        TestTools.require("gcc");
        TestTools.run(tmp, "gcc", "-shared", "-fPIC", "-Wl,-soname,libcudart.so.12", "-o", lib.toString(), "cudart.c");
        return Programs.gcc(tmp, "cuda-app", "int cudaGetDeviceCount(int *n);\n"
                + "int main(void) { int n; return cudaGetDeviceCount(&n); }\n", lib.toString());
    }
}
