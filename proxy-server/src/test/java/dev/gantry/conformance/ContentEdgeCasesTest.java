package dev.gantry.conformance;

import static dev.gantry.conformance.ConformanceData.OCI_INDEX;
import static dev.gantry.conformance.ConformanceData.OCI_MANIFEST;
import static dev.gantry.conformance.ConformanceSteps.blobPath;
import static dev.gantry.conformance.ConformanceSteps.manifestPath;
import static dev.gantry.conformance.ConformanceSteps.referrersPath;
import static dev.gantry.conformance.ConformanceSteps.tags;
import static dev.gantry.conformance.ConformanceSteps.tagsPath;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gantry.conformance.ConformanceClient.Response;
import dev.gantry.conformance.ConformanceData.Blob;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where the conformance suite accepts alternatives or checks loosely, what
 * Gantry does exactly, per the spec: tag lists and their pages, deletes and
 * what they leave behind, the referrers index and its filter, lenient
 * manifest parsing, and error bodies. Each test has a repository of its own.
 */
class ContentEdgeCasesTest {

    @TempDir
    static Path tmp;

    static HostedGantry gantry;
    static ConformanceClient client;
    static final ConformanceData data = new ConformanceData();
    static final AtomicInteger repos = new AtomicInteger();

    @BeforeAll
    static void start() {
        gantry = HostedGantry.start(tmp);
        client = gantry.client();
    }

    @AfterAll
    static void stop() {
        gantry.close();
    }

    private static String newRepository() {
        return "local/content-" + repos.incrementAndGet();
    }

    /** Pushes configs[i], the layer and manifests[i] under {@code tags} (by digest when there are none). */
    private static Blob pushImage(String repo, int i, String... tags) {
        push(repo, data.configs.get(i));
        push(repo, data.layer);
        Blob m = data.manifests.get(i);
        for (String tag : tags.length == 0 ? new String[] {m.digest()} : tags) {
            putManifest(repo, tag, m, OCI_MANIFEST);
        }
        return m;
    }

    private static void push(String repo, Blob blob) {
        Response r = ConformanceSteps.postPut(client, repo, blob);
        assertThat(r.status()).as(r.describe()).isEqualTo(201);
    }

    private static Response putManifest(String repo, String reference, Blob manifest, String contentType) {
        Response r = ConformanceSteps.putManifest(client, repo, reference, manifest, contentType);
        assertThat(r.status()).as(r.describe()).isEqualTo(201);
        return r;
    }

    private static Response get(String path) {
        return client.request("GET", path).send();
    }

    private static Response delete(String path) {
        return client.request("DELETE", path).send();
    }

    // ---- tags --------------------------------------------------------------------------------------

    @Test
    void nZeroIsAnEmptyTagListWithoutALink() {
        String repo = newRepository();
        pushImage(repo, 0, "a", "b", "c");

        Response r = client.request("GET", tagsPath(repo)).query("n", "0").send();

        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().path("tags").isArray()).as(r.text()).isTrue();
        assertThat(tags(r)).isEmpty();
        assertThat(r.header("Link")).isNull();
    }

    @Test
    void tagPagesAreSortedHoldExactlyNAndLinkToTheNextPage() {
        String repo = newRepository();
        pushImage(repo, 0, "delta", "alpha", "echo", "charlie", "bravo");

        Response first = client.request("GET", tagsPath(repo)).query("n", "2").send();
        assertThat(tags(first)).containsExactly("alpha", "bravo");
        assertThat(first.header("Link")).isEqualTo("</v2/" + repo + "/tags/list?n=2&last=bravo>; rel=\"next\"");

        String next = first.header("Link").substring(1, first.header("Link").indexOf('>'));
        Response second = get(next);
        assertThat(tags(second)).containsExactly("charlie", "delta");
        Response last = get(second.header("Link").substring(1, second.header("Link").indexOf('>')));
        assertThat(tags(last)).containsExactly("echo");
        assertThat(last.header("Link")).isNull();

        Response all = client.request("GET", tagsPath(repo)).query("n", "10").send();
        assertThat(tags(all)).containsExactly("alpha", "bravo", "charlie", "delta", "echo");
        assertThat(all.header("Link")).isNull();
        assertThat(all.json().path("name").asText()).isEqualTo(repo);
    }

    @Test
    void lastStartsTheListAfterThatTag() {
        String repo = newRepository();
        pushImage(repo, 0, "a", "b", "c", "d");

        Response r = client.request("GET", tagsPath(repo)).query("n", "2").query("last", "b").send();

        assertThat(r.status()).isEqualTo(200);
        assertThat(tags(r)).containsExactly("c", "d");
    }

    @Test
    void theTagListIsAnEmptyArrayOnceEveryTagIsGone() {
        String repo = newRepository();
        pushImage(repo, 0, "only");
        assertThat(delete(manifestPath(repo, "only")).status()).isEqualTo(202);

        Response r = get(tagsPath(repo));

        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().path("name").asText()).isEqualTo(repo);
        assertThat(r.json().path("tags").isArray()).as(r.text()).isTrue();
        assertThat(r.json().path("tags")).isEmpty();
    }

    // ---- deletes -----------------------------------------------------------------------------------

    @Test
    void deletingATagIs202AndLeavesTheManifest() {
        String repo = newRepository();
        Blob m = pushImage(repo, 0, "doomed", "kept");

        Response r = delete(manifestPath(repo, "doomed"));

        assertThat(r.status()).as(r.describe()).isEqualTo(202);
        assertThat(get(manifestPath(repo, "doomed")).status()).isEqualTo(404);
        assertThat(get(manifestPath(repo, "kept")).status()).isEqualTo(200);
        assertThat(get(manifestPath(repo, m.digest())).status()).isEqualTo(200);
        assertThat(tags(get(tagsPath(repo)))).containsExactly("kept");
    }

    @Test
    void deletingAManifestByDigestRemovesEveryTagPointingAtIt() {
        String repo = newRepository();
        Blob doomed = pushImage(repo, 0, "one", "two");
        pushImage(repo, 1, "other");

        Response r = delete(manifestPath(repo, doomed.digest()));

        assertThat(r.status()).as(r.describe()).isEqualTo(202);
        assertThat(get(manifestPath(repo, doomed.digest())).status()).isEqualTo(404);
        assertThat(get(manifestPath(repo, "one")).status()).isEqualTo(404);
        assertThat(get(manifestPath(repo, "two")).status()).isEqualTo(404);
        assertThat(tags(get(tagsPath(repo)))).containsExactly("other");
    }

    @Test
    void deletingAManifestLeavesItsBlobs() {
        String repo = newRepository();
        Blob m = pushImage(repo, 0, "t");

        assertThat(delete(manifestPath(repo, m.digest())).status()).isEqualTo(202);

        assertThat(get(blobPath(repo, data.configs.get(0).digest())).status()).isEqualTo(200);
        assertThat(get(blobPath(repo, data.layer.digest())).status()).isEqualTo(200);
    }

    @Test
    void deletingABlobIs202ThenItIsGone() {
        String repo = newRepository();
        push(repo, data.testBlobA);

        Response r = delete(blobPath(repo, data.testBlobA.digest()));

        assertThat(r.status()).as(r.describe()).isEqualTo(202);
        assertThat(get(blobPath(repo, data.testBlobA.digest())).status()).isEqualTo(404);
        assertThat(client.request("HEAD", blobPath(repo, data.testBlobA.digest())).send().status()).isEqualTo(404);
        assertThat(delete(blobPath(repo, data.testBlobA.digest())).status()).isEqualTo(404);
    }

    @Test
    void aPushedBlobWhoseFileWentMissingIs404BlobUnknownNotAServerError() throws Exception {
        String repo = newRepository();
        byte[] bytes = new byte[5 << 20]; // over the memory tier's 4 MiB: only the disk holds it
        new Random(repos.get()).nextBytes(bytes);
        Blob blob = Blob.of(bytes);
        push(repo, blob);
        Files.delete(gantry.blobFile(blob.digest()));

        Response r = get(blobPath(repo, blob.digest()));

        assertThat(r.status()).as(r.describe()).isEqualTo(404);
        assertThat(r.json().path("errors").path(0).path("code").asText()).isEqualTo("BLOB_UNKNOWN");
        assertThat(r.json().path("errors").path(0).path("message").asText()).contains("push it again");
    }

    // ---- referrers ---------------------------------------------------------------------------------

    /** The subject manifests[4] with AConfig, ALayer and the index referring to it. */
    private static Blob pushReferrers(String repo) {
        push(repo, data.emptyJson);
        push(repo, data.testRefBlobA);
        putManifest(repo, data.refsAConfig.digest(), data.refsAConfig, OCI_MANIFEST);
        putManifest(repo, data.refsALayer.digest(), data.refsALayer, OCI_MANIFEST);
        putManifest(repo, data.refsIndex.digest(), data.refsIndex, OCI_INDEX);
        return pushImage(repo, 4);
    }

    @Test
    void referrersOfAnUnknownDigestIsAnEmptyIndexOfExactlyTheIndexMediaType() {
        String repo = newRepository();

        Response r = get(referrersPath(repo, ConformanceData.DUMMY_DIGEST));

        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("Content-Type")).isEqualTo(OCI_INDEX);
        assertThat(r.json().path("schemaVersion").asInt()).isEqualTo(2);
        assertThat(r.json().path("mediaType").asText()).isEqualTo(OCI_INDEX);
        assertThat(r.json().path("manifests").isArray()).isTrue();
        assertThat(r.json().path("manifests")).isEmpty();
    }

    @Test
    void referrerDescriptorsTakeArtifactTypeElseTheConfigMediaTypeAndCopyAnnotations() {
        String repo = newRepository();
        Blob subject = pushReferrers(repo);

        Response r = get(referrersPath(repo, subject.digest()));

        assertThat(r.header("Content-Type")).isEqualTo(OCI_INDEX);
        assertThat(r.header("OCI-Filters-Applied")).as("not filtered").isNull();
        Map<String, JsonNode> byDigest = new HashMap<>();
        r.json().path("manifests").forEach(d -> byDigest.put(d.path("digest").asText(), d));
        assertThat(byDigest).hasSize(3);
        assertDescriptor(byDigest.get(data.refsAConfig.digest()), OCI_MANIFEST, data.refsAConfig, ConformanceData.ARTIFACT_TYPE_A);
        assertDescriptor(byDigest.get(data.refsALayer.digest()), OCI_MANIFEST, data.refsALayer, ConformanceData.ARTIFACT_TYPE_A);
        assertDescriptor(byDigest.get(data.refsIndex.digest()), OCI_INDEX, data.refsIndex, ConformanceData.ARTIFACT_TYPE_INDEX);
    }

    private static void assertDescriptor(JsonNode d, String mediaType, Blob referrer, String artifactType) {
        assertThat(d).as("descriptor of %s", referrer.digest()).isNotNull();
        assertThat(d.path("mediaType").asText()).isEqualTo(mediaType);
        assertThat(d.path("size").asLong()).isEqualTo(referrer.length());
        assertThat(d.path("artifactType").asText()).isEqualTo(artifactType);
        assertThat(d.path("annotations").size()).isEqualTo(1);
        assertThat(d.path("annotations").path(ConformanceData.ANNOTATION_KEY).asText())
                .isEqualTo(data.annotationValues.get(referrer.digest()));
    }

    @Test
    void filteringByArtifactTypeKeepsTheMatchesAndSaysSo() {
        String repo = newRepository();
        Blob subject = pushReferrers(repo);

        Response r = client.request("GET", referrersPath(repo, subject.digest()))
                .query("artifactType", ConformanceData.ARTIFACT_TYPE_INDEX).send();

        assertThat(r.header("OCI-Filters-Applied")).isEqualTo("artifactType");
        assertThat(r.header("Content-Type")).isEqualTo(OCI_INDEX);
        JsonNode manifests = r.json().path("manifests");
        assertThat(manifests).hasSize(1);
        assertThat(manifests.get(0).path("digest").asText()).isEqualTo(data.refsIndex.digest());
    }

    @Test
    void deletingAReferrerRemovesItFromTheList() {
        String repo = newRepository();
        Blob subject = pushReferrers(repo);

        assertThat(delete(manifestPath(repo, data.refsALayer.digest())).status()).isEqualTo(202);

        Response r = get(referrersPath(repo, subject.digest()));
        List<String> digests = new ArrayList<>();
        r.json().path("manifests").forEach(d -> digests.add(d.path("digest").asText()));
        assertThat(digests).containsExactlyInAnyOrder(data.refsAConfig.digest(), data.refsIndex.digest());
    }

    @Test
    void aSubjectWithReferrersMayBeDeleted() {
        String repo = newRepository();
        Blob subject = pushReferrers(repo);

        Response r = delete(manifestPath(repo, subject.digest()));

        assertThat(r.status()).as(r.describe()).isEqualTo(202);
        assertThat(get(manifestPath(repo, subject.digest())).status()).isEqualTo(404);
        assertThat(get(referrersPath(repo, subject.digest())).status()).isEqualTo(200);
    }

    // ---- manifests and errors ----------------------------------------------------------------------

    @Test
    void aManifestWithoutMediaTypeOrLayersIsStoredAsItsExactBytes() {
        String repo = newRepository();
        push(repo, data.configs.get(1));

        Response put = putManifest(repo, ConformanceData.EMPTY_LAYER_TAG, data.emptyLayerManifest, OCI_MANIFEST);

        assertThat(put.header("Docker-Content-Digest")).isEqualTo(data.emptyLayerManifest.digest());
        assertThat(put.relativeLocation()).isEqualTo(manifestPath(repo, data.emptyLayerManifest.digest()));
        Response get = client.request("GET", manifestPath(repo, ConformanceData.EMPTY_LAYER_TAG)).header("Accept", OCI_MANIFEST).send();
        assertThat(get.status()).isEqualTo(200);
        assertThat(get.body()).isEqualTo(data.emptyLayerManifest.bytes());
        assertThat(get.header("Content-Type")).isEqualTo(OCI_MANIFEST);
        assertThat(get.header("Docker-Content-Digest")).isEqualTo(data.emptyLayerManifest.digest());
    }

    @Test
    void aManifestWithUnknownFieldsIsServedByteForByte() {
        String repo = newRepository();
        Blob m = pushImage(repo, 2);

        Response r = client.request("GET", manifestPath(repo, m.digest())).header("Accept", OCI_MANIFEST).send();

        assertThat(new String(m.bytes(), StandardCharsets.UTF_8))
                .contains("\"newUnspecifiedField\": null").contains("\"data\": ");
        assertThat(r.body()).isEqualTo(m.bytes());
    }

    @Test
    void aNonexistentTagIs404ManifestUnknownNot400() {
        String repo = newRepository();
        pushImage(repo, 0, "t");

        for (String method : List.of("GET", "HEAD")) {
            Response r = client.request(method, manifestPath(repo, ConformanceData.NONEXISTENT_MANIFEST)).send();
            assertThat(r.status()).as(method + " " + r.describe()).isEqualTo(404);
        }
        Response r = get(manifestPath(repo, ConformanceData.NONEXISTENT_MANIFEST));
        assertThat(r.json().path("errors").path(0).path("code").asText()).isEqualTo("MANIFEST_UNKNOWN");
    }

    @Test
    void errorResponsesCarryAnOciErrorBody() {
        String repo = newRepository();
        pushImage(repo, 0, "t");

        Map<String, String> expected = Map.of(
                blobPath(repo, ConformanceData.DUMMY_DIGEST), "BLOB_UNKNOWN",
                manifestPath(repo, ConformanceData.DUMMY_DIGEST), "MANIFEST_UNKNOWN",
                manifestPath(repo, "sha256:totallywrong"), "DIGEST_INVALID");
        expected.forEach((path, code) -> {
            Response r = get(path);
            JsonNode error = r.json().path("errors").path(0);
            assertThat(error.path("code").asText()).as(r.describe()).isEqualTo(code);
            assertThat(error.path("message").asText()).as(r.describe()).isNotEmpty();
            assertThat(r.header("Content-Type")).isEqualTo("application/json");
        });
    }
}
