package dev.gantry.registry;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gantry.oci.Digest;
import dev.gantry.oci.MediaTypes;
import dev.gantry.testing.GantryServer;
import dev.gantry.testing.Http;
import dev.gantry.testing.MutableClock;
import dev.gantry.testing.ScriptedUpstream;
import dev.gantry.testing.TestImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The referrers of proxied content are remembered for {@code cache.tagTtl}
 * only when the upstream gave a definite answer: a listing, a 404 from a
 * registry without the referrers API followed by its {@code sha256-<hex>}
 * tag or the tag's absence. A failure is answered with an empty list and
 * asked again next time.
 */
class ReferrersFallbackTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private ScriptedUpstream upstream;
    private GantryServer gantry;

    @AfterEach
    void stop() throws Exception {
        if (gantry != null) {
            gantry.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    @Test
    void anUpstreamFailureIsNotRememberedAsNoReferrers() throws Exception {
        TestImage image = TestImage.builder().seed(3).layer(100).build();
        Digest referrer = Digest.sha256("an artifact".getBytes(StandardCharsets.UTF_8));
        byte[] index = JSON.writeValueAsBytes(Map.of("schemaVersion", 2, "mediaType", MediaTypes.OCI_INDEX,
                "manifests", List.of(Map.of("mediaType", MediaTypes.OCI_MANIFEST, "digest", referrer.toString(), "size", 11,
                        "artifactType", "application/vnd.example.sbom.v1"))));
        String tagPath = "/v2/test/app/manifests/sha256-" + image.digest().hex();
        AtomicInteger referrersAsked = new AtomicInteger();
        AtomicBoolean troubled = new AtomicBoolean(true);
        upstream = new ScriptedUpstream(req -> {
            if (req.path().contains("/referrers/")) {
                // First the upstream is in trouble; then it answers as a registry without the API does.
                referrersAsked.incrementAndGet();
                int status = troubled.get() ? 503 : 404;
                return ScriptedUpstream.Answer.of(status, Map.of("Content-Length", "0"), new byte[0], false);
            }
            if (req.path().equals(tagPath)) {
                return ScriptedUpstream.Answer.of(200, Map.of("Content-Type", MediaTypes.OCI_INDEX,
                        "Content-Length", Integer.toString(index.length), "Docker-Content-Digest", Digest.sha256(index).toString()),
                        req.method().equals("HEAD") ? new byte[0] : index, false);
            }
            return ScriptedUpstream.Answer.of(404, Map.of("Content-Length", "0"), new byte[0], false);
        });
        gantry = GantryServer.mirroring(upstream.url(), tmp.resolve("data"), MutableClock.startingNow());
        Http http = new Http(gantry.url());
        String referrers = "/v2/test/app/referrers/" + image.digest();

        Http.Response during = http.get(referrers);
        assertThat(during.status()).isEqualTo(200);
        assertThat(JSON.readTree(during.body()).path("manifests")).isEmpty();

        int askedWhileTroubled = referrersAsked.get();
        troubled.set(false);
        Http.Response after = http.get(referrers);
        assertThat(referrersAsked.get()).as("asked again, not answered from the cache").isEqualTo(askedWhileTroubled + 1);
        assertThat(JSON.readTree(after.body()).path("manifests").findValuesAsText("digest")).containsExactly(referrer.toString());

        http.get(referrers);
        assertThat(referrersAsked.get()).as("a definite answer is remembered").isEqualTo(askedWhileTroubled + 1);
    }

    /**
     * A sha512 subject's tag is cut to the schema's 64 characters of its encoded part: the full 128 made a tag
     * over the 128 a tag may have, and the listing a 404 (the API must never answer 404).
     */
    @Test
    void aSha512SubjectIsLookedUpUnderTheSchemasTruncatedTag() throws Exception {
        Digest subject = Digest.parse("sha512:" + "ab".repeat(64));
        Digest referrer = Digest.sha256("a signature".getBytes(StandardCharsets.UTF_8));
        byte[] index = JSON.writeValueAsBytes(Map.of("schemaVersion", 2, "mediaType", MediaTypes.OCI_INDEX,
                "manifests", List.of(Map.of("mediaType", MediaTypes.OCI_MANIFEST, "digest", referrer.toString(), "size", 11))));
        String tagPath = "/v2/test/app/manifests/sha512-" + "ab".repeat(32);
        upstream = new ScriptedUpstream(req -> req.path().equals(tagPath)
                ? ScriptedUpstream.Answer.of(200, Map.of("Content-Type", MediaTypes.OCI_INDEX, "Content-Length",
                        Integer.toString(index.length), "Docker-Content-Digest", Digest.sha256(index).toString()),
                        req.method().equals("HEAD") ? new byte[0] : index, false)
                : ScriptedUpstream.Answer.of(404, Map.of("Content-Length", "0"), new byte[0], false));
        gantry = GantryServer.mirroring(upstream.url(), tmp.resolve("data"), MutableClock.startingNow());

        Http.Response listed = new Http(gantry.url()).get("/v2/test/app/referrers/" + subject);

        assertThat(listed.status()).as(listed.text()).isEqualTo(200);
        assertThat(JSON.readTree(listed.body()).path("manifests").findValuesAsText("digest")).containsExactly(referrer.toString());
    }
}
