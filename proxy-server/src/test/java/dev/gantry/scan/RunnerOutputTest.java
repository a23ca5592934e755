package dev.gantry.scan;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.schema.Device;
import dev.gantry.schema.Evidence;
import dev.gantry.schema.HardwareDocument;
import dev.gantry.schema.HardwareSchema;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hardware document a runner can act on: passthru-devices that
 * {@code docker run --device} accepts, CDI names only where the vendor
 * publishes them, vendor classes for graphics and compute drivers, and no
 * matches on documentation. Layers are real Debian packages.
 */
class RunnerOutputTest {
    private static final HardwareSchema SCHEMA = new HardwareSchema();
    private static final ImagePlatform AMD64 = new ImagePlatform("linux", "amd64", null);
    private final ImageAnalyzer analyzer = new ImageAnalyzer(Scans.KB, Clock.systemUTC());

    @TempDir
    static Path tmp;

    private HardwareDocument image(String env, String... packages) throws Exception {
        List<LayerFindings> layers = new ArrayList<>();
        for (String pkg : packages) {
            layers.add(Scans.scan(new LayerBuilder().tree(DebianPackages.unpack(pkg, tmp), "").gzip()));
        }
        String config = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Env\":[" + env + "]}}";
        HardwareDocument d = analyzer.analyze(null, AMD64, config.getBytes(StandardCharsets.UTF_8), layers);
        SCHEMA.requireValid(d);
        assertThat(d.passthruDevices()).as("docker run --device takes paths, not patterns")
                .allSatisfy(p -> assertThat(p).startsWith("/dev/").doesNotContainPattern("[*?\\[{]"));
        return d;
    }

    private static Device device(HardwareDocument d, String name) {
        return d.devices().stream().filter(x -> x.name().equals(name)).findFirst().orElseThrow();
    }

    private static List<String> rules(HardwareDocument d) {
        return d.evidence().stream().map(Evidence::rule).toList();
    }

    @Test
    void nvidiaPassthruDevicesAreTheControlNodesAndTheFirstGpuWithThePatternAsEvidence() throws Exception {
        HardwareDocument d = image("\"CUDA_VERSION=12.4.1\"");
        assertThat(d.passthruDevices()).containsExactly("/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia0");
        assertThat(device(d, "gpu.nvidia").cdi()).containsExactly("nvidia.com/gpu=all");
        assertThat(device(d, "gpu.nvidia").nodes()).contains("/dev/nvidia[0-9]*");
        assertThat(d.evidence()).anySatisfy(e -> {
            assertThat(e.kind()).isEqualTo(Evidence.DEVICE_NODE);
            assertThat(e.name()).isEqualTo("/dev/nvidia[0-9]*");
            assertThat(e.rule()).isEqualTo("hardware.gpu.nvidia");
        });
    }

    @Test
    void genericRdmaGetsItsDeviceNodesAndNoNvidiaCdiName() throws Exception {
        HardwareDocument d = image("", "libibverbs1");
        assertThat(d.platform().hardware()).containsKey("rdma");
        assertThat(device(d, "rdma").cdi()).isEmpty();
        assertThat(d.devices()).flatMap(Device::cdi).noneMatch(c -> c.startsWith("nvidia.com/"));
        assertThat(d.passthruDevices()).contains("/dev/infiniband/uverbs0", "/dev/infiniband/rdma_cm");
    }

    @Test
    void mesasVaapiDriversNameAmdByTheirFileNames() throws Exception {
        HardwareDocument d = image("", "mesa-va-drivers");
        assertThat(d.platform().hardware()).containsKeys("gpu.amd", "gpu.dri").doesNotContainKeys("gpu.intel",
                "gpu.nvidia");
        assertThat(d.evidence()).anySatisfy(e -> {
            assertThat(e.rule()).isEqualTo("vaapi.amd");
            assertThat(e.path()).endsWith("/radeonsi_drv_video.so");
        });
        assertThat(d.passthruDevices()).contains("/dev/dri");
    }

    @Test
    void libvaDriverNameSelectsTheVendor() throws Exception {
        assertThat(image("\"LIBVA_DRIVER_NAME=iHD\"").platform().hardware()).containsOnlyKeys("gpu.intel");
        assertThat(image("\"LIBVA_DRIVER_NAME=radeonsi\"").platform().hardware()).containsOnlyKeys("gpu.amd");
        assertThat(image("\"LIBVA_DRIVER_NAME=nvidia\"").platform().hardware()).containsOnlyKeys("gpu.nvidia");
    }

    @Test
    void vulkanIcdManifestsNameTheirVendorByLibraryPathAndLavapipeNeedsNoDevice() throws Exception {
        HardwareDocument d = image("", "mesa-vulkan-drivers");
        assertThat(d.platform().hardware()).containsKeys("gpu.intel", "gpu.amd", "gpu.software")
                .doesNotContainKey("gpu.nvidia");
        assertThat(d.evidence()).anySatisfy(e -> {
            assertThat(e.rule()).isEqualTo("vulkan.intel");
            assertThat(e.path()).endsWith("/intel_icd.x86_64.json");
            assertThat(e.detail()).isEqualTo("libvulkan_intel");
        });
        assertThat(d.evidence()).anySatisfy(e -> {
            assertThat(e.rule()).isEqualTo("vulkan.software");
            assertThat(e.path()).endsWith("/lvp_icd.x86_64.json");
        });
        assertThat(device(d, "gpu.software").nodes()).isEmpty();
    }

    @Test
    void anOpenclIcdFileNamesItsVendorByTheLibraryItLists() throws Exception {
        HardwareDocument d = image("", "intel-opencl-icd");
        assertThat(d.platform().hardware()).containsKeys("gpu.intel", "opencl");
        assertThat(d.evidence()).anySatisfy(e -> {
            assertThat(e.rule()).isEqualTo("intel.opencl-icd");
            assertThat(e.path()).isEqualTo("/etc/OpenCL/vendors/intel.icd");
            assertThat(e.detail()).isEqualTo("libigdrcl");
        });
    }

    @Test
    void manPagesAndDocsNeverMatchLibraryGlobs() throws Exception {
        LayerFindings f = Scans.scan(new LayerBuilder().tree(DebianPackages.unpack("ocl-icd-libopencl1", tmp), "")
                .gzip());
        assertThat(f.files()).anySatisfy(x -> assertThat(x.path()).endsWith("/libOpenCL.so.1.0.0"));
        assertThat(f.files()).as("the package ships /usr/share/man/man7/libOpenCL.so.7.gz")
                .noneMatch(x -> x.path().startsWith("/usr/share/"));
        assertThat(rules(image("", "ocl-icd-libopencl1"))).contains("opencl.icd-loader");
    }
}
