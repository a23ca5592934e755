package dev.gantry.scan;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.schema.HardwareDocument;
import dev.gantry.schema.HardwareSchema;
import dev.gantry.schema.Level;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A hardware class is required when the entry point's command line needs the device: a device path
 * the program is told to open, or a tool that only talks to the device. The same program with a command
 * line that needs no device leaves the class at most supported. (HardwareTruthIT checks these rules
 * against real packages run without the devices.)
 */
class CommandLineDevicesTest {
    private static final HardwareSchema SCHEMA = new HardwareSchema();
    private static final ImageAnalyzer ANALYZER = new ImageAnalyzer(Scans.KB,
            Clock.fixed(Instant.parse("2026-12-01T00:00:00Z"), ZoneOffset.UTC));

    private static Map<String, Level> hardware(String entrypoint, LayerFindings layer) {
        return document(entrypoint, layer).platform().hardware();
    }

    private static HardwareDocument document(String entrypoint, LayerFindings layer) {
        String config = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Entrypoint\":[" + entrypoint + "]}}";
        HardwareDocument d = ANALYZER.analyze(null, new ImagePlatform("linux", "amd64", null),
                config.getBytes(StandardCharsets.UTF_8), List.of(layer));
        SCHEMA.requireValid(d);
        return d;
    }

    @Test
    void aDevicePathOnTheCommandLineMakesItsClassRequired() {
        LayerFindings tools = Scans.scan(new LayerBuilder().file("usr/bin/vainfo", "x", 0755)
                .file("usr/bin/v4l2-ctl", "x", 0755).file("usr/lib/x86_64-linux-gnu/libv4l2.so.0", "x", 0644).gzip());
        assertThat(hardware("\"vainfo\",\"--display\",\"drm\",\"--device\",\"/dev/dri/renderD128\"", tools))
                .containsEntry("gpu.dri", Level.REQUIRED);
        assertThat(hardware("\"v4l2-ctl\",\"-d\",\"/dev/video0\",\"--all\"", tools))
                .containsEntry("video4linux", Level.REQUIRED);
        assertThat(hardware("\"v4l2-ctl\",\"--help\"", tools)).containsEntry("video4linux", Level.SUPPORTED);
        assertThat(hardware("\"vainfo\",\"--help\"", tools)).doesNotContainKey("gpu.dri");
    }

    @Test
    void aDevicePathOnTheCommandLineIsPassedThroughAsWritten() {
        LayerFindings v4l = Scans.scan(new LayerBuilder().file("usr/bin/v4l2-ctl", "x", 0755).gzip());
        assertThat(document("\"v4l2-ctl\",\"-d\",\"/dev/video2\",\"--all\"", v4l).passthruDevices())
                .containsExactly("/dev/video0", "/dev/video2");
        assertThat(document("\"/bin/sh\",\"-c\",\"vainfo --display drm --device /dev/dri/renderD129\"", v4l)
                .passthruDevices()).as("inside /dev/dri, which is passed whole").contains("/dev/dri")
                .doesNotContain("/dev/dri/renderD129");
        assertThat(document("\"v4l2-ctl\",\"-d\",\"/dev/video$N\"", v4l).passthruDevices())
                .as("an expansion is no path").containsExactly("/dev/video0");
    }

    @Test
    void tpmToolsThatTalkToTheTpmRequireItAndOfflineOnesDoNot() {
        LayerFindings tpm = Scans.scan(new LayerBuilder().file("usr/bin/tpm2", "x", 0755)
                .symlink("usr/bin/tpm2_getrandom", "tpm2").symlink("usr/bin/tpm2_rc_decode", "tpm2")
                .symlink("usr/bin/tpm2_pcrread", "tpm2").gzip());
        assertThat(hardware("\"tpm2_getrandom\",\"8\"", tpm)).containsEntry("tpm", Level.REQUIRED);
        assertThat(hardware("\"/usr/bin/tpm2_pcrread\",\"sha256:0\"", tpm)).containsEntry("tpm", Level.REQUIRED);
        assertThat(hardware("\"tpm2_rc_decode\",\"0x9a2\"", tpm)).containsEntry("tpm", Level.SUPPORTED);
        assertThat(hardware("\"tpm2_print\",\"-t\",\"TPMS_ATTEST\",\"q.bin\"", tpm)).containsEntry("tpm", Level.SUPPORTED);
        assertThat(hardware("\"/usr/local/bin/app\",\"-T\",\"device:/dev/tpmrm0\"", tpm)).containsEntry("tpm", Level.REQUIRED);
    }
}
