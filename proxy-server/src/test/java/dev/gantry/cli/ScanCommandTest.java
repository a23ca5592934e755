package dev.gantry.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gantry.oci.Digest;
import dev.gantry.scan.LayerBuilder;
import dev.gantry.schema.HardwareSchema;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code gantry scan} on an OCI layout with a two-platform index, as skopeo writes it. */
class ScanCommandTest {
    @TempDir
    Path layout;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @BeforeEach
    void writeLayout() throws Exception {
        Files.createDirectories(layout.resolve("blobs/sha256"));
        Files.writeString(layout.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        byte[] shared = new LayerBuilder().file("usr/lib/x86_64-linux-gnu/libasound.so.2", "x").gzip();
        byte[] gpu = new LayerBuilder().file("usr/local/cuda-12.2/lib64/libcudart.so.12", "x").gzip();
        String amd = manifest(config("amd64", "\"Env\":[\"NVIDIA_REQUIRE_CUDA=cuda>=12.2\"]"), shared, gpu);
        String arm = manifest(config("arm64", ""), shared);
        String index = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":["
                + descriptor(amd, "{\"os\":\"linux\",\"architecture\":\"amd64\"}") + ","
                + descriptor(arm, "{\"os\":\"linux\",\"architecture\":\"arm64\",\"variant\":\"v8\"}") + "]}";
        Files.writeString(layout.resolve("index.json"), "{\"schemaVersion\":2,\"manifests\":["
                + "{\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"digest\":\"" + blob(index.getBytes())
                + "\",\"size\":" + index.length() + "}]}");
    }

    private String blob(byte[] bytes) throws Exception {
        Digest d = Digest.sha256(bytes);
        Files.write(layout.resolve("blobs/sha256").resolve(d.hex()), bytes);
        return d.toString();
    }

    private static String config(String arch, String inner) {
        return "{\"architecture\":\"" + arch + "\",\"os\":\"linux\",\"config\":{" + inner + "}}";
    }

    private String manifest(String config, byte[]... layers) throws Exception {
        StringBuilder m = new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\""
                + blob(config.getBytes(StandardCharsets.UTF_8)) + "\",\"size\":" + config.length() + "},\"layers\":[");
        for (int i = 0; i < layers.length; i++) {
            m.append(i == 0 ? "" : ",").append("{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"")
                    .append(blob(layers[i])).append("\",\"size\":").append(layers[i].length).append('}');
        }
        return m.append("]}").toString();
    }

    private String descriptor(String manifest, String platform) throws Exception {
        return "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\""
                + blob(manifest.getBytes(StandardCharsets.UTF_8)) + "\",\"size\":" + manifest.length()
                + ",\"platform\":" + platform + "}";
    }

    private int run(String... args) {
        CommandLine cmd = new CommandLine(new ScanCommand());
        cmd.setOut(new PrintWriter(out));
        cmd.setErr(new PrintWriter(err));
        return cmd.execute(args);
    }

    @Test
    void jsonGivesOneValidDocumentPerPlatform() throws Exception {
        assertThat(run(layout.toString(), "--json")).as(err.toString()).isZero();
        JsonNode docs = new ObjectMapper().readTree(out.toString());
        assertThat(docs.isArray()).isTrue();
        assertThat(docs).hasSize(2);
        HardwareSchema schema = new HardwareSchema();
        for (JsonNode d : docs) {
            assertThat(schema.violations(d)).isEmpty();
        }
        assertThat(docs.get(0).at("/platform/hardware/gpu.nvidia").asText()).isEqualTo("required");
        assertThat(docs.get(1).at("/platform/architecture").asText()).isEqualTo("arm64");
        assertThat(docs.get(1).at("/platform/hardware").has("gpu.nvidia")).isFalse();
    }

    @Test
    void platformSelectsOneDocument() throws Exception {
        assertThat(run(layout.toString(), "--json", "--platform", "linux/arm64")).isZero();
        JsonNode doc = new ObjectMapper().readTree(out.toString());
        assertThat(doc.isObject()).isTrue();
        assertThat(doc.at("/platform/cpu/architecture").asText()).isEqualTo("aarch64");
        assertThat(doc.at("/platform/hardware/alsa").asText()).isEqualTo("supported");
    }

    @Test
    void theHumanReportSaysWhatIsRequiredAndHowToGiveIt() {
        assertThat(run(layout.toString(), "--platform", "linux/amd64")).isZero();
        assertThat(out.toString()).contains("linux/amd64").contains("hardware required: gpu.nvidia")
                .contains("--device nvidia.com/gpu=all").contains("NVIDIA_REQUIRE_CUDA=cuda>=12.2");
    }

    @Test
    void aDirectoryThatIsNotALayoutExitsOneWithAReason(@TempDir Path empty) {
        assertThat(run(empty.toString())).isEqualTo(1);
        assertThat(err.toString()).contains("not an OCI image layout");
    }
}
