package dev.gantry.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gantry.oci.Digest;
import dev.gantry.oci.MediaTypes;
import dev.gantry.testing.DistributionRegistry;
import dev.gantry.testing.GantryServer;
import dev.gantry.testing.Http;
import dev.gantry.testing.MutableClock;
import dev.gantry.testing.Pusher;
import dev.gantry.testing.TestImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Referrers of content from an upstream without the referrers API (Docker
 * Hub; Distribution 2.8 here, which answers 404 to {@code /referrers}):
 * clients that push to such registries keep them in an index tagged
 * {@code sha256-<hex>} (distribution-spec, "Referrers Tag Schema"), and
 * Gantry's referrers endpoint lists them.
 */
class ReferrersTagSchemaIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** With a '+', as CycloneDX's and SPDX's are: written unescaped in a query, form decoding makes it a space. */
    private static final String SBOM = "application/vnd.example.sbom.v1+json";
    private static final String SIGNATURE = "application/vnd.example.signature.v1";

    @TempDir
    Path tmp;

    private DistributionRegistry upstream;
    private GantryServer gantry;
    private Http http;

    @BeforeEach
    void start() {
        upstream = DistributionRegistry.start(tmp.resolve("upstream"));
        gantry = GantryServer.mirroring(upstream.url(), tmp.resolve("gantry"), MutableClock.startingNow());
        http = new Http(gantry.url());
    }

    @AfterEach
    void stop() {
        if (gantry != null) {
            gantry.close();
        }
        upstream.close();
    }

    @Test
    void referrersKeptUnderTheTagSchemaAreListedAndFiltered() throws Exception {
        TestImage image = TestImage.builder().seed(1).layer(1000).build();
        Pusher pusher = new Pusher(upstream.url());
        pusher.push("test/app", "1", image);
        TestImage.Blob sbom = pushArtifact(pusher, image, SBOM, "sbom");
        TestImage.Blob signature = pushArtifact(pusher, image, SIGNATURE, "signature");
        TestImage.Blob index = blob(MediaTypes.OCI_INDEX, Map.of("schemaVersion", 2, "mediaType", MediaTypes.OCI_INDEX,
                "manifests", List.of(descriptor(sbom, SBOM), descriptor(signature, SIGNATURE))));
        pusher.putManifest("test/app", "sha256-" + image.digest().hex(), index);
        assertThat(upstream.count(r -> r.path().contains("/referrers/"))).isZero();

        Http.Response all = http.get("/v2/test/app/referrers/" + image.digest());

        assertThat(all.status()).isEqualTo(200);
        assertThat(all.header("Content-Type")).isEqualTo(MediaTypes.OCI_INDEX);
        assertThat(upstream.count(r -> r.path().contains("/referrers/") && r.status() == 404))
                .as("the upstream has no referrers API").isEqualTo(1);
        JsonNode manifests = JSON.readTree(all.body()).path("manifests");
        assertThat(manifests.findValuesAsText("digest"))
                .containsExactlyInAnyOrder(sbom.digest().toString(), signature.digest().toString());
        assertThat(manifests.findValuesAsText("artifactType")).containsExactlyInAnyOrder(SBOM, SIGNATURE);

        Http.Response filtered = http.get("/v2/test/app/referrers/" + image.digest() + "?artifactType=" + SBOM);
        assertThat(filtered.header("OCI-Filters-Applied")).isEqualTo("artifactType");
        assertThat(JSON.readTree(filtered.body()).path("manifests").findValuesAsText("digest"))
                .containsExactly(sbom.digest().toString());
        Http.Response escaped = http.get("/v2/test/app/referrers/" + image.digest() + "?artifactType="
                + SBOM.replace("+", "%2B"));
        assertThat(JSON.readTree(escaped.body()).path("manifests").findValuesAsText("digest"))
                .containsExactly(sbom.digest().toString());
        Http.Response empty = http.get("/v2/test/app/referrers/" + image.digest() + "?artifactType=");
        assertThat(empty.header("OCI-Filters-Applied")).as("an empty artifactType filters nothing").isNull();
        assertThat(JSON.readTree(empty.body()).path("manifests")).hasSize(2);
    }

    @Test
    void aSubjectWithoutAReferrersTagHasAnEmptyList() throws Exception {
        TestImage image = TestImage.builder().seed(2).layer(1000).build();
        new Pusher(upstream.url()).push("test/app", "1", image);

        Http.Response r = http.get("/v2/test/app/referrers/" + image.digest());

        assertThat(r.status()).isEqualTo(200);
        assertThat(JSON.readTree(r.body()).path("manifests")).isEmpty();
    }

    /** An artifact manifest whose subject is {@code image}, pushed by digest. */
    private static TestImage.Blob pushArtifact(Pusher pusher, TestImage image, String artifactType, String payload) {
        TestImage.Blob config = new TestImage.Blob(MediaTypes.OCI_EMPTY, "{}".getBytes(StandardCharsets.UTF_8),
                Digest.sha256("{}".getBytes(StandardCharsets.UTF_8)));
        byte[] bytes = payload.getBytes(StandardCharsets.UTF_8);
        TestImage.Blob layer = new TestImage.Blob("application/octet-stream", bytes, Digest.sha256(bytes));
        pusher.pushBlob("test/app", config);
        pusher.pushBlob("test/app", layer);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("schemaVersion", 2);
        m.put("mediaType", MediaTypes.OCI_MANIFEST);
        m.put("artifactType", artifactType);
        m.put("config", config.descriptor());
        m.put("layers", List.of(layer.descriptor()));
        m.put("subject", image.manifest().descriptor());
        TestImage.Blob manifest = blob(MediaTypes.OCI_MANIFEST, m);
        pusher.putManifest("test/app", manifest.digest().toString(), manifest);
        return manifest;
    }

    private static Map<String, Object> descriptor(TestImage.Blob manifest, String artifactType) {
        Map<String, Object> d = new LinkedHashMap<>(manifest.descriptor());
        d.put("artifactType", artifactType);
        return d;
    }

    private static TestImage.Blob blob(String mediaType, Map<String, Object> json) {
        try {
            byte[] bytes = JSON.writeValueAsBytes(json);
            return new TestImage.Blob(mediaType, bytes, Digest.sha256(bytes));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
