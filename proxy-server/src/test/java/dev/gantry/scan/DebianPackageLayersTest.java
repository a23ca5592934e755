package dev.gantry.scan;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.schema.ScanStatus;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Layers made of real Debian packages (apt-get download, dpkg-deb -x),
 * each with the hardware its files reveal, and plain applications that must
 * reveal none.
 */
class DebianPackageLayersTest {
    @TempDir
    static Path tmp;

    static Stream<Arguments> hardwarePackages() {
        return Stream.of(
                Arguments.of("ocl-icd-libopencl1", "opencl.icd-loader", "opencl"),
                Arguments.of("libibverbs1", "rdma.verbs", "rdma"),
                Arguments.of("ibverbs-providers", "rdma.providers", "rdma"),
                Arguments.of("qemu-system-x86", "kvm.qemu", "kvm"),
                Arguments.of("libtss2-esys-3.0.2-0", "tpm.tss2", "tpm"),
                Arguments.of("libusb-1.0-0", "usb.libusb", "usb"),
                Arguments.of("libv4l-0", "v4l.libv4l", "video4linux"),
                Arguments.of("libasound2", "alsa.libasound", "alsa"),
                Arguments.of("mesa-va-drivers", "dri.vaapi-drivers", "gpu.dri"),
                Arguments.of("libgl1-mesa-dri", "dri.mesa-drivers", "gpu.dri"),
                Arguments.of("mesa-vulkan-drivers", "dri.vulkan-icd", "gpu.dri"),
                Arguments.of("intel-opencl-icd", "intel.opencl-icd", "gpu.intel"),
                Arguments.of("libze1", "intel.level-zero", "gpu.intel"),
                Arguments.of("libamdhip64-5", "amd.rocm-libraries", "gpu.amd"),
                Arguments.of("librte-eal23", "dpdk.eal", "dpdk"));
    }

    @ParameterizedTest(name = "{0} -> {2}")
    @MethodSource("hardwarePackages")
    void aPackageLayerRevealsItsHardware(String pkg, String rule, String hardware) throws Exception {
        Path root = DebianPackages.unpack(pkg, tmp);
        LayerFindings f = Scans.scan(new LayerBuilder().tree(root, "").gzip());
        assertThat(f.status()).as(f.reason() + " " + f.notes()).isEqualTo(ScanStatus.COMPLETE);
        assertThat(Scans.rules(f)).contains(rule);
        assertThat(Scans.hardware(f)).contains(hardware);
        assertThat(f.files()).allSatisfy(x -> assertThat(x.path()).startsWith("/"));
    }

    // Not libc6: per function, a few of glibc's own functions use features without a check the
    // scanner sees (libmvec's vector-ABI variants, which the caller's compiler picks; pkey_set's
    // WRPKRU, reached only with a key the kernel handed out). glibc is the C runtime: its files
    // never make a feature required for an image (CRuntimeVerdictTest runs that on real glibc).
    @ParameterizedTest
    @ValueSource(strings = {"curl", "nginx", "python3.11-minimal"})
    void aPlainApplicationRevealsNoHardwareAndRequiresNoCpuFeature(String pkg) throws Exception {
        Path root = DebianPackages.unpack(pkg, tmp);
        LayerFindings f = Scans.scan(new LayerBuilder().tree(root, "").gzip());
        assertThat(f.status()).as(f.reason() + " " + f.notes()).isEqualTo(ScanStatus.COMPLETE);
        assertThat(f.files()).as("knowledge-base matches").isEmpty();
        assertThat(f.devices()).isEmpty();
        assertThat(Scans.required(f)).as("required CPU features").isEmpty();
        assertThat(f.executables()).isNotEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"libc6"})
    void glibcsOwnSimdVariantsAreSupportedBehindItsIfuncDispatch(String pkg) throws Exception {
        Path root = DebianPackages.unpack(pkg, tmp);
        LayerFindings f = Scans.scan(new LayerBuilder().tree(root, "").gzip());
        CpuFinding libc = f.cpu().stream().filter(c -> c.path().endsWith("/libc.so.6")).findFirst().orElseThrow();
        assertThat(libc.supported()).contains("avx2", "sse4_2", "avx512f");
        // Per function: the ifunc variants are selected by their resolvers; what stays required is
        // code libc runs unconditionally when called (pkey_set's WRPKRU), never a SIMD variant.
        assertThat(libc.required()).doesNotContain("avx", "avx2", "sse4_2", "avx512f", "avx512bw", "rtm");
        assertThat(libc.dispatch()).contains("IFUNC");
    }
}
