package dev.gantry.it.hardware;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gantry.oci.Digest;
import dev.gantry.oci.MediaTypes;
import dev.gantry.schema.HardwareJson;
import dev.gantry.schema.HardwareSchema;
import dev.gantry.testing.Awaits;
import dev.gantry.testing.DistributionRegistry;
import dev.gantry.testing.GantryServer;
import dev.gantry.testing.Http;
import dev.gantry.testing.MutableClock;
import dev.gantry.testing.Pusher;
import dev.gantry.testing.TestImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hardware extension against a real upstream: what an image needs,
 * answered without a client pulling it, for the cost of one upstream GET per
 * manifest and per blob — and nothing for what was seen before.
 */
class HardwareApiIT {

    static final HardwareSchema SCHEMA = new HardwareSchema();
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    DistributionRegistry upstream;
    GantryServer gantry;
    Http http;
    final MutableClock clock = MutableClock.startingNow();

    @BeforeEach
    void start() {
        upstream = DistributionRegistry.start(tmp.resolve("upstream"));
        startGantry("2s");
    }

    void startGantry(String waitBudget) {
        gantry = GantryServer.start("upstreams:\n  - name: docker.io\n    url: " + upstream.url() + "\n    default: true\n"
                + "storage:\n  disk:\n    path: " + tmp.resolve("gantry") + "\n"
                + "prefetch: {mode: \"off\"}\nhardware: {waitBudget: " + waitBudget + "}\n", tmp, clock);
        http = new Http(gantry.url());
    }

    @AfterEach
    void stop() {
        gantry.close();
        upstream.close();
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static TestImage gpuImage(long seed) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("usr/local/cuda/lib64/libcudart.so.12", random(4000, seed));
        return TestImage.builder().seed(seed).layer(20_000).rawLayer(TestImage.layerOf(files))
                .env(List.of("PATH=/usr/bin:/bin", "NVIDIA_REQUIRE_CUDA=cuda>=12.2", "NVIDIA_VISIBLE_DEVICES=all"))
                .config("Volumes", Map.of("/data", Map.of())).build();
    }

    static TestImage kvmImage(long seed, String os, String arch) {
        return TestImage.builder().seed(seed).platform(os, arch)
                .rawLayer(TestImage.layerOf(Map.of("usr/bin/qemu-system-x86_64", random(3000, seed)))).build();
    }

    static TestImage plainImage(long seed, String os, String arch) {
        return TestImage.builder().seed(seed).platform(os, arch)
                .rawLayer(TestImage.layerOf(Map.of("etc/motd", "hello\n".getBytes(StandardCharsets.UTF_8)))).build();
    }

    /** GET until 200 (202 while scanning), at most a while. */
    Http.Response await(String path) {
        return Awaits.until(() -> {
            Http.Response r = http.get(path);
            assertThat(r.status() != 202 || r.header("Retry-After") != null).as("a 202 says when to come back").isTrue();
            return r;
        }, r -> r.status() != 202, Duration.ofSeconds(60));
    }

    static JsonNode json(Http.Response r) throws Exception {
        return JSON.readTree(r.body());
    }

    static void assertValid(JsonNode doc) {
        assertThat(SCHEMA.violations(doc)).as("schema violations").isEmpty();
    }

    @Test
    void anImageNeverSeenIsAnsweredForOneGetPerManifestAndBlob() throws Exception {
        TestImage gpu = gpuImage(1);
        new Pusher(upstream.url()).push("test/gpu", "1", gpu);
        upstream.resetLog();

        Http.Response r = await("/v2/test/gpu/_gantry/hardware/1");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("Content-Type")).isEqualTo("application/vnd.gantry.hardware.v1+json");
        JsonNode doc = json(r);
        assertValid(doc);
        assertThat(doc.at("/subject/digest").asText()).isEqualTo(gpu.digest().toString());
        assertThat(doc.at("/platform/hardware/gpu.nvidia").asText()).isEqualTo("required");
        assertThat(doc.at("/platform/architecture").asText()).isEqualTo("amd64");
        assertThat(doc.path("passthru-devices").toString()).contains("/dev/nvidiactl");
        assertThat(doc.path("volumes").toString()).contains("/data");
        assertThat(doc.path("devices").get(0).path("cdi").toString()).contains("nvidia.com/gpu=all");
        assertThat(doc.path("devices").get(0).at("/constraints/0/expression").asText()).isEqualTo("cuda>=12.2");
        assertThat(doc.path("evidence").toString()).contains("libcudart.so.12").contains(gpu.layers().get(1).digest().toString());

        assertThat(upstream.count(DistributionRegistry.Request::isManifestGet)).isEqualTo(1);
        for (TestImage.Blob b : gpu.blobs()) {
            assertThat(upstream.count(q -> q.isBlobGet() && q.path().endsWith(b.digest().toString()))).as("GETs of %s", b.digest()).isEqualTo(1);
        }
        upstream.resetLog();
        assertThat(await("/v2/test/gpu/_gantry/hardware/1").status()).isEqualTo(200);
        assertThat(await("/v2/test/gpu/_gantry/hardware/" + gpu.digest()).status()).isEqualTo(200);
        assertThat(upstream.count(r2 -> r2.isBlobGet() || r2.isManifestGet())).as("repeated queries").isZero();
    }

    @Test
    void anotherImageSharingTheLayersCostsOnlyItsOwnManifestAndConfig() throws Exception {
        TestImage gpu = gpuImage(2);
        new Pusher(upstream.url()).push("test/gpu", "1", gpu);
        assertThat(await("/v2/test/gpu/_gantry/hardware/1").status()).isEqualTo(200);
        TestImage sibling = TestImage.builder().seed(2).layer(20_000)
                .rawLayer(gpu.layers().get(1).bytes()).env(List.of("PATH=/bin")).build();
        new Pusher(upstream.url()).push("test/gpu", "2", sibling);
        upstream.resetLog();

        JsonNode doc = json(await("/v2/test/gpu/_gantry/hardware/2"));
        assertValid(doc);
        assertThat(doc.at("/platform/hardware/gpu.nvidia").asText()).as("libcudart is there, no requirement in Env").isEqualTo("supported");
        assertThat(upstream.count(DistributionRegistry.Request::isBlobGet)).as("only the new config blob").isEqualTo(1);
    }

    @Test
    void aMultiPlatformIndexHasOneDocumentPerPlatformAndAPlatformCanBePicked() throws Exception {
        TestImage amd = kvmImage(3, "linux", "amd64");
        TestImage arm = plainImage(4, "linux", "arm64");
        new Pusher(upstream.url()).push("test/multi", "1", TestImage.Index.of(List.of(amd, arm), false));

        Http.Response all = await("/v2/test/multi/_gantry/hardware/1");
        assertThat(all.status()).isEqualTo(200);
        assertThat(all.header("Content-Type")).isEqualTo("application/vnd.gantry.hardware.list.v1+json");
        JsonNode list = json(all);
        assertThat(list).hasSize(2);
        list.forEach(HardwareApiIT::assertValid);
        assertThat(list.get(0).at("/platform/hardware/kvm").asText()).isEqualTo("supported");
        assertThat(list.get(1).at("/platform/hardware").size()).isZero();

        JsonNode arm64 = json(await("/v2/test/multi/_gantry/hardware/1?platform=linux/arm64"));
        assertThat(arm64.at("/platform/architecture").asText()).isEqualTo("arm64");
        assertThat(arm64.at("/subject/digest").asText()).isEqualTo(arm.digest().toString());
        assertThat(http.get("/v2/test/multi/_gantry/hardware/1?platform=linux/s390x").status()).isEqualTo(404);
    }

    @Test
    void aScanLongerThanTheWaitBudgetIsAcceptedAndAnsweredLater() throws Exception {
        gantry.close();
        startGantry("1ms");
        TestImage big = TestImage.builder().seed(5).layers(3, 3_000_000).build();
        new Pusher(upstream.url()).push("test/big", "1", big);
        Http.Response first = http.get("/v2/test/big/_gantry/hardware/1");
        assertThat(first.status()).isEqualTo(202);
        assertThat(first.header("Retry-After")).isEqualTo("2");
        Http.Response later = await("/v2/test/big/_gantry/hardware/1");
        assertThat(later.status()).isEqualTo(200);
        assertValid(json(later));
    }

    @Test
    void theAugmentedViewIsTheManifestPlusThePapersKeysAndTheManifestKeepsItsDigest() throws Exception {
        TestImage amd = gpuImage(6);
        TestImage arm = plainImage(7, "linux", "arm64");
        TestImage.Index index = TestImage.Index.of(List.of(amd, arm), false);
        new Pusher(upstream.url()).push("test/aug", "1", index);

        Http.Response view = await("/v2/test/aug/_gantry/manifests/1");
        assertThat(view.status()).isEqualTo(200);
        assertThat(view.header("Content-Type")).isEqualTo("application/vnd.gantry.manifest.augmented.v1+json");
        assertThat(view.header("Docker-Content-Digest")).isNull();
        JsonNode docs = json(await("/v2/test/aug/_gantry/hardware/1"));
        assertThat(view.body().length).as("keys were added").isGreaterThan(index.manifest().bytes().length + 100);
        String stripped = view.text();
        for (JsonNode doc : docs) {
            ObjectMapper m = HardwareJson.mapper();
            stripped = stripped.replace(",\"cpu\":" + m.writeValueAsString(doc.at("/platform/cpu"))
                    + ",\"hardware\":" + m.writeValueAsString(doc.at("/platform/hardware")), "");
            stripped = stripped.replace(",\"passthru-devices\":" + m.writeValueAsString(doc.path("passthru-devices"))
                    + ",\"volumes\":" + m.writeValueAsString(doc.path("volumes")), "");
        }
        assertThat(stripped.getBytes(StandardCharsets.UTF_8)).as("the view minus the added keys").isEqualTo(index.manifest().bytes());
        JsonNode parsed = json(view);
        assertThat(parsed.at("/manifests/0/platform/hardware/gpu.nvidia").asText()).isEqualTo("required");
        assertThat(parsed.at("/manifests/0/platform/cpu/architecture").asText()).isEqualTo("x86_64");
        assertThat(parsed.at("/manifests/0/passthru-devices").toString()).contains("/dev/nvidiactl");
        assertThat(parsed.at("/manifests/1/platform/architecture").asText()).isEqualTo("arm64");

        Http.Response real = http.get("/v2/test/aug/manifests/1", "Accept", MediaTypes.OCI_INDEX);
        assertThat(real.body()).isEqualTo(index.manifest().bytes());
        assertThat(real.header("Docker-Content-Digest")).isEqualTo(index.digest().toString());

        Http.Response single = await("/v2/test/aug/_gantry/manifests/" + amd.digest());
        String expectedPrefix = new String(amd.manifest().bytes(), StandardCharsets.UTF_8);
        assertThat(single.text()).startsWith(expectedPrefix.substring(0, expectedPrefix.length() - 1) + ",\"platform\":{");
    }

    @Test
    void scannedPlatformManifestsListTheHardwareAndNfdArtifactsAsReferrers() throws Exception {
        TestImage gpu = gpuImage(8);
        new Pusher(upstream.url()).push("test/gpu", "1", gpu);
        String referrers = "/v2/test/gpu/referrers/" + gpu.digest();
        assertThat(json(http.get(referrers)).path("manifests")).as("before any scan").isEmpty();

        assertThat(await("/v2/test/gpu/_gantry/hardware/1").status()).isEqualTo(200);
        Http.Response listing = http.get(referrers);
        assertThat(listing.header("Content-Type")).isEqualTo(MediaTypes.OCI_INDEX);
        JsonNode manifests = json(listing).path("manifests");
        assertThat(manifests).hasSize(2);
        assertThat(manifests.findValuesAsText("artifactType"))
                .containsExactlyInAnyOrder("application/vnd.gantry.hardware.v1+json", "application/vnd.nfd.image-compatibility.v1alpha1");

        for (JsonNode d : manifests) {
            Http.Response artifact = http.get("/v2/test/gpu/manifests/" + d.path("digest").asText(), "Accept", MediaTypes.OCI_MANIFEST);
            assertThat(artifact.status()).isEqualTo(200);
            assertThat(Digest.sha256(artifact.body()).toString()).isEqualTo(d.path("digest").asText());
            JsonNode m = json(artifact);
            assertThat(m.at("/subject/digest").asText()).isEqualTo(gpu.digest().toString());
            assertThat(m.at("/config/mediaType").asText()).isEqualTo(MediaTypes.OCI_EMPTY);
            assertThat(http.get("/v2/test/gpu/blobs/" + m.at("/config/digest").asText()).text()).isEqualTo("{}");
            Http.Response layer = http.get("/v2/test/gpu/blobs/" + m.at("/layers/0/digest").asText());
            assertThat(layer.status()).isEqualTo(200);
            if (d.path("artifactType").asText().equals("application/vnd.gantry.hardware.v1+json")) {
                assertValid(JSON.readTree(layer.body()));
            } else {
                assertThat(m.at("/layers/0/mediaType").asText()).isEqualTo("application/vnd.nfd.image-compatibility.spec.v1alpha1+yaml");
                assertThat(layer.text()).contains("version: v1alpha1").contains("compatibilities:").contains("pci.device")
                        .contains("10de").contains("tag: required").contains("tag: supported");
            }
        }
        JsonNode filtered = json(http.get(referrers + "?artifactType=application/vnd.nfd.image-compatibility.v1alpha1"));
        assertThat(filtered.path("manifests")).hasSize(1);

        // Stable digests: the same answer later, and after a restart.
        gantry.close();
        startGantry("2s");
        JsonNode again = json(http.get(referrers)).path("manifests");
        assertThat(again.findValuesAsText("digest")).containsExactlyInAnyOrderElementsOf(manifests.findValuesAsText("digest"));
    }

    @Test
    void layersAreScannedInTheBackgroundWhenAPullBringsThem() throws Exception {
        TestImage gpu = gpuImage(9);
        new Pusher(upstream.url()).push("test/pulled", "1", gpu);
        http.get("/v2/test/pulled/manifests/1", "Accept", MediaTypes.OCI_MANIFEST);
        for (TestImage.Blob b : gpu.blobs()) {
            assertThat(http.get("/v2/test/pulled/blobs/" + b.digest()).status()).isEqualTo(200);
        }
        assertThat(Awaits.until(() -> gantry.gantry().metrics().value("gantry_scans_total", "complete"),
                scanned -> scanned >= gpu.layers().size(), Duration.ofSeconds(20))).as("layers scanned after the pull").isEqualTo(gpu.layers().size());
        upstream.resetLog();
        assertThat(await("/v2/test/pulled/_gantry/hardware/1").status()).isEqualTo(200);
        assertThat(gantry.gantry().metrics().value("gantry_scans_total", "complete")).as("no second scan").isEqualTo(gpu.layers().size());
        assertThat(upstream.requests()).isEmpty();
    }
}
