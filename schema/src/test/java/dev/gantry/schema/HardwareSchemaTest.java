package dev.gantry.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HardwareSchemaTest {
    private final HardwareSchema schema = new HardwareSchema();
    private final ObjectMapper mapper = HardwareJson.mapper();

    static String example(String name) throws IOException {
        try (InputStream in = HardwareSchemaTest.class.getResourceAsStream("/examples/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"cuda-gpu.json", "sgx-partial.json", "plain-arm64.json"})
    void examplesValidate(String name) throws IOException {
        assertThat(schema.violations(example(name))).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"cuda-gpu.json", "sgx-partial.json", "plain-arm64.json"})
    void examplesReadIntoRecordsAndWriteBackTheSameDocument(String name) throws IOException {
        String json = example(name);
        HardwareDocument document = mapper.readValue(json, HardwareDocument.class);
        assertThat(mapper.readTree(mapper.writeValueAsString(document))).isEqualTo(mapper.readTree(json));
        assertThat(schema.violations(document)).isEmpty();
    }

    @Test
    void thePapersKeysAreSpelledAsInThePaper() throws IOException {
        HardwareDocument document = mapper.readValue(example("cuda-gpu.json"), HardwareDocument.class);
        ObjectNode json = mapper.valueToTree(document);
        assertThat(json.has("passthru-devices")).isTrue();
        assertThat(json.has("volumes")).isTrue();
        assertThat(json.at("/platform/cpu/architecture").asText()).isEqualTo("x86_64");
        assertThat(json.at("/platform/cpu/features/popcnt").asText()).isEqualTo("required");
        assertThat(json.at("/platform/hardware/gpu.nvidia").asText()).isEqualTo("required");
        assertThat(json.at("/platform/os").asText()).isEqualTo("linux");
    }

    @Test
    void aLevelOtherThanSupportedOrRequiredIsRejected() throws IOException {
        ObjectNode json = (ObjectNode) mapper.readTree(example("cuda-gpu.json"));
        ((ObjectNode) json.at("/platform/cpu/features")).put("avx2", "optional");
        assertThat(schema.violations(json)).isNotEmpty();
    }

    @Test
    void aMisspelledPaperKeyIsRejected() throws IOException {
        ObjectNode json = (ObjectNode) mapper.readTree(example("plain-arm64.json"));
        json.set("passthru_devices", json.remove("passthru-devices"));
        assertThat(schema.violations(json)).isNotEmpty();
    }

    @Test
    void aFeatureNameNotInCpuinfoSpellingIsRejected() throws IOException {
        ObjectNode json = (ObjectNode) mapper.readTree(example("plain-arm64.json"));
        ((ObjectNode) json.at("/platform/cpu/features")).put("AVX-512F", "required");
        assertThat(schema.violations(json)).isNotEmpty();
    }

    @Test
    void anUnknownScanStatusAndABadTimeAreRejected() throws IOException {
        ObjectNode json = (ObjectNode) mapper.readTree(example("plain-arm64.json"));
        ((ObjectNode) json.get("scan")).put("status", "ok");
        assertThat(schema.violations(json)).isNotEmpty();
        json = (ObjectNode) mapper.readTree(example("plain-arm64.json"));
        ((ObjectNode) json.get("scan")).put("time", "yesterday");
        assertThat(schema.violations(json)).isNotEmpty();
    }

    @Test
    void theCRuntimesFeaturesAreEvidenceOfTheirOwnKindNotFeatures() throws IOException {
        HardwareDocument document = mapper.readValue(example("plain-arm64.json"), HardwareDocument.class);
        assertThat(document.evidence()).singleElement().satisfies(e -> {
            assertThat(e.kind()).isEqualTo(Evidence.RUNTIME_CPU_FEATURE);
            assertThat(e.name()).isEqualTo("sve");
        });
        assertThat(document.platform().cpu().features()).doesNotContainKey("sve");
        ObjectNode json = (ObjectNode) mapper.readTree(example("plain-arm64.json"));
        ((ObjectNode) json.at("/evidence/0")).put("kind", "runtime-feature");
        assertThat(schema.violations(json)).as("kinds are a closed list").isNotEmpty();
    }

    @Test
    void aPatternInPassthruDevicesIsRejected() throws IOException {
        ObjectNode json = (ObjectNode) mapper.readTree(example("cuda-gpu.json"));
        json.withArray("passthru-devices").add("/dev/nvidia[0-9]*");
        assertThat(schema.violations(json)).isNotEmpty();
        json = (ObjectNode) mapper.readTree(example("cuda-gpu.json"));
        json.withArray("passthru-devices").add("/dev/dri");
        assertThat(schema.violations(json)).as("a directory docker run --device accepts").isEmpty();
    }

    @Test
    void textThatIsNotJsonIsOneViolation() {
        assertThat(schema.violations("{not json")).hasSize(1).first().asString().startsWith("not JSON");
    }

    @Test
    void recordsBuiltInCodeSerialiseToValidDocumentsWithSortedKeys() throws IOException {
        HardwareDocument document = new HardwareDocument(
                HardwareDocument.SCHEMA_VERSION,
                new Descriptor("application/vnd.oci.image.manifest.v1+json",
                        "sha256:" + "ab".repeat(32), 1234),
                new Platform("amd64", "linux", null,
                        new Cpu("x86_64", "x86-64-v3", java.util.Map.of("fma", Level.REQUIRED, "avx2", Level.REQUIRED)),
                        java.util.Map.of("kvm", Level.SUPPORTED)),
                java.util.List.of("/dev/kvm"), java.util.List.of(),
                java.util.List.of(new Device("kvm", Level.SUPPORTED, null, java.util.List.of("/dev/kvm"), null, null)),
                java.util.List.of(new Evidence(Evidence.HARDWARE, "kvm", Level.SUPPORTED, "kvm.qemu",
                        "sha256:" + "cd".repeat(32), "/usr/bin/qemu-system-x86_64", null, null, null, null)),
                new ScanInfo(ScanStatus.COMPLETE, "2025-01-01T00:00:00Z", "1", "sha256:" + "ef".repeat(32), null, null));
        schema.requireValid(document);
        String json = mapper.writeValueAsString(document);
        assertThat(json.indexOf("\"avx2\"")).isLessThan(json.indexOf("\"fma\""));
        assertThat(json).doesNotContain("null");
        assertThat(mapper.readValue(json, HardwareDocument.class)).isEqualTo(document);
    }

    @Test
    void requireValidNamesTheViolation() {
        HardwareDocument bad = new HardwareDocument(HardwareDocument.SCHEMA_VERSION, null,
                new Platform("amd64", "linux", null, new Cpu("x86_64", "x86-64-v9", null), null),
                null, java.util.List.of("relative/path"), null, null,
                new ScanInfo(ScanStatus.COMPLETE, "2025-01-01T00:00:00Z", "1", "sha256:" + "ef".repeat(32), null, null));
        assertThatThrownBy(() -> schema.requireValid(bad))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("level")
                .hasMessageContaining("volumes");
    }
}
