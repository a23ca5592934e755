package dev.gantry.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gantry.oci.Digest;
import dev.gantry.scan.LayerBuilder;
import dev.gantry.schema.HardwareSchema;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
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
        assertThat(err.toString().strip()).isEqualTo("gantry scan: " + empty
                + " is neither an OCI image layout (no index.json) nor a skopeo dir: image (no manifest.json)");
    }

    // ---- image names as skopeo users write them ------------------------------------------------

    @Test
    void ociTransportWithATagScansTheImageTaggedSoInTheLayoutsIndex() throws Exception {
        tagTheIndex("v1");
        assertThat(run("oci:" + layout + ":v1", "--json", "--platform", "linux/arm64")).as(err.toString()).isZero();
        assertThat(new ObjectMapper().readTree(out.toString()).at("/platform/architecture").asText()).isEqualTo("arm64");
    }

    @Test
    void ociTransportWithoutATagScansTheWholeLayout() throws Exception {
        assertThat(run("oci:" + layout, "--json")).as(err.toString()).isZero();
        assertThat(new ObjectMapper().readTree(out.toString())).hasSize(2);
    }

    @Test
    void ociTransportWithATagTheLayoutLacksNamesTheTagsThereAre() throws Exception {
        tagTheIndex("v1");
        assertThat(run("oci:" + layout + ":v2")).isEqualTo(1);
        assertThat(err.toString().strip()).isEqualTo("gantry scan: no image tagged 'v2' in " + layout + " (tags: v1)");
    }

    @Test
    void ociTransportNamingNoDirectorySaysSo() {
        assertThat(run("oci:/nonexistent/layout:v1")).isEqualTo(1);
        assertThat(err.toString().strip()).isEqualTo("gantry scan: 'oci:/nonexistent/layout:v1': no OCI image layout directory "
                + "'/nonexistent/layout'");
    }

    @Test
    void dirTransportReadsSkopeosDirFormat(@TempDir Path dir) throws Exception {
        // skopeo copy ... dir:DIR writes manifest.json, a version file and blobs named by their hex digest.
        ObjectMapper json = new ObjectMapper();
        JsonNode top = json.readTree(layout.resolve("index.json").toFile());
        String indexHex = top.at("/manifests/0/digest").asText().substring("sha256:".length());
        JsonNode index = json.readTree(layout.resolve("blobs/sha256").resolve(indexHex).toFile());
        String armHex = index.at("/manifests/1/digest").asText().substring("sha256:".length());
        byte[] arm = Files.readAllBytes(layout.resolve("blobs/sha256").resolve(armHex));
        Files.write(dir.resolve("manifest.json"), arm);
        Files.writeString(dir.resolve("version"), "Directory Transport Version: 1.1\n");
        JsonNode m = json.readTree(arm);
        List<String> digests = new ArrayList<>(List.of(m.at("/config/digest").asText()));
        m.path("layers").forEach(l -> digests.add(l.path("digest").asText()));
        for (String d : digests) {
            String hex = d.substring("sha256:".length());
            Files.copy(layout.resolve("blobs/sha256").resolve(hex), dir.resolve(hex));
        }
        assertThat(run("dir:" + dir, "--json")).as(err.toString()).isZero();
        JsonNode doc = json.readTree(out.toString());
        assertThat(doc.at("/platform/architecture").asText()).isEqualTo("arm64");
        assertThat(doc.at("/platform/hardware/alsa").asText()).isEqualTo("supported");
    }

    @Test
    void transportsAScanCannotReadSayHowToCopyTheImageFirst() {
        assertThat(run("docker-archive:/tmp/x.tar")).isEqualTo(1);
        assertThat(err.toString().strip()).isEqualTo("gantry scan: 'docker-archive:/tmp/x.tar': docker-archive images cannot "
                + "be scanned directly; copy the image first (skopeo copy docker-archive:/tmp/x.tar oci:DIR) and scan oci:DIR");
    }

    @Test
    void anInvalidReferenceIsRefusedBeforeAnythingIsFetched() {
        Set<String> before = scanTempDirs();
        assertThat(run("docker://127.0.0.1:1/UPPER/case:1")).isEqualTo(1);
        assertThat(err.toString()).startsWith("gantry scan: ").contains("UPPER/case");
        assertThat(scanTempDirs()).isSubsetOf(before);
    }

    @Test
    void aRegistryScanThatFailsLeavesNoTemporaryFilesBehind() {
        Set<String> before = scanTempDirs();
        // Nothing listens on port 1: the fetch fails after the scan's mirror has started in a temporary directory.
        assertThat(run("docker://127.0.0.1:1/test/app:1")).isEqualTo(1);
        assertThat(err.toString()).startsWith("gantry scan 127.0.0.1:1/test/app:1: ");
        assertThat(scanTempDirs()).as("no /tmp/gantry-scan* directory left").isSubsetOf(before);
    }

    private static Set<String> scanTempDirs() {
        try (Stream<Path> entries = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return entries.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("gantry-scan")).collect(Collectors.toSet());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private void tagTheIndex(String tag) throws Exception {
        ObjectMapper json = new ObjectMapper();
        ObjectNode top = (ObjectNode) json.readTree(layout.resolve("index.json").toFile());
        ((ObjectNode) top.path("manifests").get(0)).putObject("annotations").put("org.opencontainers.image.ref.name", tag);
        json.writeValue(layout.resolve("index.json").toFile(), top);
    }
}
