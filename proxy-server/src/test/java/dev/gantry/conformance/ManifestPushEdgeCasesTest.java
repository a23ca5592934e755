package dev.gantry.conformance;

import static dev.gantry.conformance.ConformanceData.OCI_CONFIG;
import static dev.gantry.conformance.ConformanceData.OCI_INDEX;
import static dev.gantry.conformance.ConformanceData.OCI_LAYER;
import static dev.gantry.conformance.ConformanceData.OCI_MANIFEST;
import static dev.gantry.conformance.ConformanceSteps.manifestPath;
import static dev.gantry.conformance.ConformanceSteps.tags;
import static dev.gantry.conformance.ConformanceSteps.tagsPath;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.conformance.ConformanceClient.Response;
import dev.gantry.conformance.ConformanceData.Blob;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Manifest pushes as the distribution spec's main branch describes them: a
 * push by digest that names more tags ({@code ?tag=a&tag=b}), and the checks
 * a pushed manifest must pass before anything is stored (schema version,
 * referenced content present, descriptor sizes equal to what is stored).
 * Each test has a repository of its own.
 */
class ManifestPushEdgeCasesTest {

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
        return "local/manifests-" + repos.incrementAndGet();
    }

    private static void push(String repo, Blob blob) {
        Response r = ConformanceSteps.postPut(client, repo, blob);
        assertThat(r.status()).as(r.describe()).isEqualTo(201);
    }

    /** An image manifest of config 0 and the layer, with the sizes given and the schema version given. */
    private static Blob manifest(int schemaVersion, long configSize, long layerSize) {
        Blob config = data.configs.get(0);
        return Blob.of("{\"schemaVersion\":" + schemaVersion + ",\"mediaType\":\"" + OCI_MANIFEST + "\","
                + "\"config\":{\"mediaType\":\"" + OCI_CONFIG + "\",\"digest\":\"" + config.digest() + "\",\"size\":" + configSize + "},"
                + "\"layers\":[{\"mediaType\":\"" + OCI_LAYER + "\",\"digest\":\"" + data.layer.digest() + "\",\"size\":" + layerSize + "}]}");
    }

    private static Blob image(String repo) {
        push(repo, data.configs.get(0));
        push(repo, data.layer);
        return manifest(2, data.configs.get(0).bytes().length, data.layer.bytes().length);
    }

    private static Response put(String path, Blob manifest, String contentType) {
        return client.request("PUT", path).header("Content-Type", contentType).body(manifest.bytes()).send();
    }

    private static void assertRefused(Response r, int status, String code) {
        assertThat(r.status()).as(r.describe()).isEqualTo(status);
        assertThat(r.json().path("errors").path(0).path("code").asText()).as(r.describe()).isEqualTo(code);
    }

    private static int status(String path) {
        return client.request("GET", path).header("Accept", OCI_MANIFEST + ", " + OCI_INDEX).send().status();
    }

    // ---- tags with a push by digest ---------------------------------------------------------------

    @Test
    void aPushByDigestWithTagParametersTagsTheManifestWithEachAndSaysWhich() {
        String repo = newRepository();
        Blob m = image(repo);

        Response r = put(manifestPath(repo, m.digest()) + "?tag=1.2.3&tag=latest", m, OCI_MANIFEST);

        assertThat(r.status()).as(r.describe()).isEqualTo(201);
        assertThat(r.header("Docker-Content-Digest")).isEqualTo(m.digest());
        assertThat(r.headers().allValues("OCI-Tag")).containsExactly("1.2.3", "latest");
        for (String tag : new String[] {"1.2.3", "latest"}) {
            Response get = client.request("GET", manifestPath(repo, tag)).header("Accept", OCI_MANIFEST).send();
            assertThat(get.body()).as(tag).isEqualTo(m.bytes());
            assertThat(get.header("Docker-Content-Digest")).isEqualTo(m.digest());
        }
        assertThat(tags(client.request("GET", tagsPath(repo)).send())).containsExactly("1.2.3", "latest");
    }

    @Test
    void anInvalidTagParameterRefusesThePushAndStoresNothing() {
        String repo = newRepository();
        Blob m = image(repo);

        Response r = put(manifestPath(repo, m.digest()) + "?tag=good&tag=-bad", m, OCI_MANIFEST);

        assertRefused(r, 400, "MANIFEST_INVALID");
        assertThat(status(manifestPath(repo, m.digest()))).isEqualTo(404);
        assertThat(status(manifestPath(repo, "good"))).isEqualTo(404);
    }

    @Test
    void tagParametersOnAPushByTagAreIgnored() {
        String repo = newRepository();
        Blob m = image(repo);

        Response r = put(manifestPath(repo, "v1") + "?tag=other", m, OCI_MANIFEST);

        assertThat(r.status()).as(r.describe()).isEqualTo(201);
        assertThat(r.headers().allValues("OCI-Tag")).isEmpty();
        assertThat(status(manifestPath(repo, "v1"))).isEqualTo(200);
        assertThat(status(manifestPath(repo, "other"))).isEqualTo(404);
    }

    @Test
    void aPushByDigestWithoutTagParametersSaysNoTag() {
        String repo = newRepository();
        Blob m = image(repo);

        Response r = put(manifestPath(repo, m.digest()), m, OCI_MANIFEST);

        assertThat(r.status()).as(r.describe()).isEqualTo(201);
        assertThat(r.headers().allValues("OCI-Tag")).isEmpty();
        assertThat(tags(client.request("GET", tagsPath(repo)).send())).isEmpty();
    }

    // ---- checks before anything is stored ---------------------------------------------------------

    @Test
    void anOciManifestWithSchemaVersion1IsManifestInvalid() {
        String repo = newRepository();
        image(repo);
        Blob m = manifest(1, data.configs.get(0).bytes().length, data.layer.bytes().length);

        assertRefused(put(manifestPath(repo, "v1"), m, OCI_MANIFEST), 400, "MANIFEST_INVALID");
        assertThat(status(manifestPath(repo, "v1"))).isEqualTo(404);
    }

    @Test
    void anOciIndexWithSchemaVersion3IsManifestInvalid() {
        String repo = newRepository();
        Blob index = Blob.of("{\"schemaVersion\":3,\"mediaType\":\"" + OCI_INDEX + "\",\"manifests\":[]}");

        assertRefused(put(manifestPath(repo, "v1"), index, OCI_INDEX), 400, "MANIFEST_INVALID");
    }

    @Test
    void aSchemaVersionWrittenAsAStringIsManifestInvalid() {
        String repo = newRepository();
        Blob index = Blob.of("{\"schemaVersion\":\"2\",\"mediaType\":\"" + OCI_INDEX + "\",\"manifests\":[]}");

        assertRefused(put(manifestPath(repo, "v1"), index, OCI_INDEX), 400, "MANIFEST_INVALID");
    }

    @Test
    void aLayerDescriptorWhoseSizeDisagreesWithTheStoredBlobIsManifestInvalid() {
        String repo = newRepository();
        image(repo);
        Blob m = manifest(2, data.configs.get(0).bytes().length, data.layer.bytes().length + 1);

        Response r = put(manifestPath(repo, "v1"), m, OCI_MANIFEST);

        assertRefused(r, 400, "MANIFEST_INVALID");
        assertThat(r.text()).contains(data.layer.digest()).contains(String.valueOf(data.layer.bytes().length));
        assertThat(status(manifestPath(repo, "v1"))).isEqualTo(404);
    }

    @Test
    void aConfigDescriptorWhoseSizeDisagreesWithTheStoredBlobIsManifestInvalid() {
        String repo = newRepository();
        image(repo);
        Blob m = manifest(2, data.configs.get(0).bytes().length - 1, data.layer.bytes().length);

        assertRefused(put(manifestPath(repo, m.digest()), m, OCI_MANIFEST), 400, "MANIFEST_INVALID");
        assertThat(status(manifestPath(repo, m.digest()))).isEqualTo(404);
    }

    @Test
    void aReferencedBlobTheRepositoryDoesNotHoldIsManifestBlobUnknown() {
        String repo = newRepository();
        push(repo, data.configs.get(0));
        Blob m = manifest(2, data.configs.get(0).bytes().length, data.layer.bytes().length);

        assertRefused(put(manifestPath(repo, "v1"), m, OCI_MANIFEST), 404, "MANIFEST_BLOB_UNKNOWN");
    }

    @Test
    void anIndexEntryWhoseSizeDisagreesWithTheStoredManifestIsManifestInvalid() {
        String repo = newRepository();
        Blob child = image(repo);
        assertThat(put(manifestPath(repo, child.digest()), child, OCI_MANIFEST).status()).isEqualTo(201);
        Blob index = Blob.of("{\"schemaVersion\":2,\"mediaType\":\"" + OCI_INDEX + "\",\"manifests\":[{\"mediaType\":\""
                + OCI_MANIFEST + "\",\"digest\":\"" + child.digest() + "\",\"size\":" + (child.bytes().length + 10) + "}]}");

        assertRefused(put(manifestPath(repo, "multi"), index, OCI_INDEX), 400, "MANIFEST_INVALID");
        assertThat(status(manifestPath(repo, "multi"))).isEqualTo(404);
    }

    @Test
    void anIndexWhoseEntriesMatchWhatIsStoredIsAccepted() {
        String repo = newRepository();
        Blob child = image(repo);
        assertThat(put(manifestPath(repo, child.digest()), child, OCI_MANIFEST).status()).isEqualTo(201);
        Blob index = Blob.of("{\"schemaVersion\":2,\"mediaType\":\"" + OCI_INDEX + "\",\"manifests\":[{\"mediaType\":\""
                + OCI_MANIFEST + "\",\"digest\":\"" + child.digest() + "\",\"size\":" + child.bytes().length + "}]}");

        Response r = put(manifestPath(repo, "multi"), index, OCI_INDEX);

        assertThat(r.status()).as(r.describe()).isEqualTo(201);
        assertThat(status(manifestPath(repo, "multi"))).isEqualTo(200);
    }
}
