package dev.gantry.conformance;

import static dev.gantry.conformance.ConformanceData.OCI_MANIFEST;
import static dev.gantry.conformance.ConformanceSteps.manifestPath;
import static dev.gantry.conformance.ConformanceSteps.tags;
import static dev.gantry.conformance.ConformanceSteps.tagsPath;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.conformance.ConformanceClient.Response;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With {@code allowTagDelete: false} a tag delete is refused in a way the
 * conformance suite accepts (M5: 405, or 400 {@code UNSUPPORTED}; never a
 * 2xx that did nothing), and the tag stays.
 */
class TagDeleteDisabledTest {

    @TempDir
    Path tmp;

    @Test
    void aTagDeleteIsUnsupportedAndTheTagStays() {
        try (HostedGantry gantry = HostedGantry.start(tmp, "    allowTagDelete: false\n")) {
            ConformanceClient client = gantry.client();
            ConformanceData data = new ConformanceData();
            String repo = HostedGantry.NAMESPACE;
            for (ConformanceData.Blob b : new ConformanceData.Blob[] {data.configs.get(3), data.layer}) {
                assertThat(ConformanceSteps.postPut(client, repo, b).status()).isEqualTo(201);
            }
            assertThat(ConformanceSteps.putManifest(client, repo, ConformanceData.TEST_TAG, data.manifests.get(3), OCI_MANIFEST)
                    .status()).isEqualTo(201);

            Response r = client.request("DELETE", manifestPath(repo, ConformanceData.TEST_TAG)).send();

            assertThat(r.status()).as(r.describe()).isIn(400, 405);
            assertThat(r.json().path("errors").path(0).path("code").asText()).isEqualTo("UNSUPPORTED");
            assertThat(tags(client.request("GET", tagsPath(repo)).send())).containsExactly(ConformanceData.TEST_TAG);
            Response byDigest = client.request("DELETE", manifestPath(repo, data.manifests.get(3).digest())).send();
            assertThat(byDigest.status()).as(byDigest.describe()).isEqualTo(202);
        }
    }
}
