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
        byte[] blob = layer.gzip();
        LayerFindings f = SCANNER.scan(Digest.sha256(blob), null, new ByteArrayInputStream(blob));
        String config = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Env\":[" + env + "]}}";
        return ANALYZER.analyze(null, new ImagePlatform("linux", "amd64", null),
                config.getBytes(StandardCharsets.UTF_8), List.of(f));
    }

    private static Verdict check(HardwareDocument d, Set<String> devices) {
        return Checker.check("test", List.of(new HardwareService.PlatformDocument(null, d, false)),
                new HostProfile("linux", "x86_64", Set.of(), devices, Set.of(), Set.of(), List.of()));
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
