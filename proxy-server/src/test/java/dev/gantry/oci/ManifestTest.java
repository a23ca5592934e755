package dev.gantry.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ManifestTest {

    private static final String D1 = "sha256:" + "1".repeat(64);
    private static final String D2 = "sha256:" + "2".repeat(64);

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void readsAnImageManifestsBlobs() {
        Manifest m = Manifest.parse(bytes("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\","
                + "\"config\":{\"mediaType\":\"" + MediaTypes.OCI_CONFIG + "\",\"digest\":\"" + D1 + "\",\"size\":7},"
                + "\"layers\":[{\"mediaType\":\"" + MediaTypes.OCI_LAYER_GZIP + "\",\"digest\":\"" + D2 + "\",\"size\":9}]}"), null);
        assertThat(m.mediaType()).isEqualTo(MediaTypes.OCI_MANIFEST);
        assertThat(m.blobs()).extracting(Descriptor::digest).containsExactly(D1, D2);
        assertThat(m.isIndex()).isFalse();
    }

    @Test
    void readsAnIndexAndFindsAPlatform() {
        Manifest m = Manifest.parse(bytes("{\"schemaVersion\":2,\"manifests\":["
                + "{\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"digest\":\"" + D1 + "\",\"size\":1,\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\",\"variant\":\"v8\"}},"
                + "{\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"digest\":\"" + D2 + "\",\"size\":1,\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}}]}"),
                MediaTypes.OCI_INDEX);
        assertThat(m.isIndex()).isTrue();
        assertThat(m.manifestFor(Platform.parse("linux/amd64")).orElseThrow().digest()).isEqualTo(D2);
        assertThat(m.manifestFor(Platform.parse("linux/arm64")).orElseThrow().digest()).isEqualTo(D1);
        assertThat(m.manifestFor(Platform.parse("linux/arm64/v8")).orElseThrow().digest()).isEqualTo(D1);
        assertThat(m.manifestFor(Platform.parse("windows/amd64"))).isEmpty();
    }

    @Test
    void infersTheTypeFromTheContentTypeWhenTheBodyHasNone() {
        Manifest m = Manifest.parse(bytes("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"x\",\"digest\":\"" + D1 + "\",\"size\":1},\"layers\":[]}"),
                MediaTypes.DOCKER_MANIFEST);
        assertThat(m.mediaType()).isEqualTo(MediaTypes.DOCKER_MANIFEST);
    }

    @Test
    void rejectsWhatIsNotAManifest() {
        assertInvalid("not json");
        assertInvalid("[]");
        assertInvalid("{\"schemaVersion\":3}");
        assertInvalid("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"layers\":[]}");
        assertInvalid("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"x\",\"digest\":\"sha256:zz\",\"size\":1}}");
        assertInvalid("{\"schemaVersion\":2,\"manifests\":{}}");
    }

    @Test
    void onlyDockerSchema1MayDeclareSchemaVersion1() {
        String config = "\"config\":{\"mediaType\":\"x\",\"digest\":\"" + D1 + "\",\"size\":1},\"layers\":[]";
        assertInvalid("{\"schemaVersion\":1,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\"," + config + "}");
        assertInvalid("{\"schemaVersion\":1,\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\",\"manifests\":[]}");
        assertInvalid("{\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\",\"manifests\":[]}");
        assertInvalid("{\"schemaVersion\":\"2\",\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\",\"manifests\":[]}");

        Manifest schema1 = Manifest.parse(bytes("{\"schemaVersion\":1,\"name\":\"x\",\"tag\":\"1\",\"fsLayers\":[{\"blobSum\":\""
                + D1 + "\"}]}"), MediaTypes.DOCKER_SCHEMA1_SIGNED);
        assertThat(schema1.layers()).extracting(Descriptor::digest).containsExactly(D1.toString());
    }

    @Test
    void annotationsMustMapStringsToStrings() {
        String index = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\",\"manifests\":[],";
        assertInvalid(index + "\"annotations\":{\"a\":null}}");
        assertInvalid(index + "\"annotations\":{\"a\":{\"b\":1}}}");
        assertInvalid(index + "\"annotations\":{\"a\":1}}");
        assertInvalid(index + "\"annotations\":[\"a\"]}");
        assertInvalid("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"digest\":\"" + D1
                + "\",\"size\":1,\"annotations\":{\"a\":null}}]}");
        Manifest ok = Manifest.parse(bytes(index + "\"annotations\":{\"b\":\"2\",\"a\":\"1\"}}"), null);
        assertThat(ok.annotations()).containsExactly(Map.entry("b", "2"), Map.entry("a", "1"));
    }

    @Test
    void aDeclaredMediaTypeMustBeAManifestTypeForItBecomesTheContentType() {
        String config = "\"config\":{\"mediaType\":\"x\",\"digest\":\"" + D1 + "\",\"size\":1},\"layers\":[]";
        assertInvalid("{\"schemaVersion\":2,\"mediaType\":\"text/html\"," + config + "}");
        assertThatThrownBy(() -> Manifest.parse(bytes("{\"schemaVersion\":2,\"mediaType\":\"text/html\"," + config + "}"),
                "application/json")).hasMessageContaining("not a manifest type");
        assertThat(Manifest.parse(bytes("{\"schemaVersion\":2," + config + "}"), "application/json").mediaType())
                .as("no mediaType: inferred").isEqualTo(MediaTypes.OCI_MANIFEST);
    }

    @Test
    void mediaTypesMustBePrintableAsciiForTheyBecomeHeaders() {
        String config = "\"config\":{\"mediaType\":\"x\",\"digest\":\"" + D1 + "\",\"size\":1},\"layers\":[]";
        assertInvalid("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\\n\"," + config + "}");
        assertInvalid("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\\u0000\"," + config + "}");
        assertInvalid("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":{\"mediaType\":\"x\\r\","
                + "\"digest\":\"" + D1 + "\",\"size\":1},\"layers\":[]}");
        assertInvalid("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"artifactType\":\"a/\u00e9\"," + config + "}");
    }

    @Test
    void rejectsManifestsOverFourMebibytes() {
        byte[] big = new byte[Manifest.MAX_BYTES + 1];
        assertThatThrownBy(() -> Manifest.parse(big, null)).hasMessageContaining("the limit is 4194304");
    }

    @Test
    void rejectsAMediaTypeThatContradictsTheContentType() {
        assertThatThrownBy(() -> Manifest.parse(bytes("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\",\"manifests\":[]}"),
                MediaTypes.OCI_MANIFEST)).hasMessageContaining("does not match Content-Type");
    }

    private static void assertInvalid(String body) {
        assertThatThrownBy(() -> Manifest.parse(bytes(body), null))
                .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.MANIFEST_INVALID));
    }
}
