package dev.gantry.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.conformance.ConformanceClient.Response;
import dev.gantry.conformance.ConformanceData.Blob;
import java.util.ArrayList;
import java.util.List;

/** The suite's request paths and its recurring steps, for any client. */
final class ConformanceSteps {

    private ConformanceSteps() {
    }

    /** The suite's two-step upload: POST for a session, PUT the whole blob to its Location. */
    static Response postPut(ConformanceClient client, String namespace, Blob blob) {
        Response post = client.request("POST", uploadsPath(namespace)).send();
        assertThat(post.header("Location")).as(post.describe()).isNotEmpty();
        return client.request("PUT", post.relativeLocation())
                .header("Content-Type", "application/octet-stream")
                .query("digest", blob.digest()).body(blob.bytes()).send();
    }

    static Response putManifest(ConformanceClient client, String namespace, String reference, Blob manifest, String contentType) {
        return client.request("PUT", manifestPath(namespace, reference)).header("Content-Type", contentType)
                .body(manifest.bytes()).send();
    }

    static String uploadsPath(String namespace) {
        return "/v2/" + namespace + "/blobs/uploads/";
    }

    static String blobPath(String namespace, String digest) {
        return "/v2/" + namespace + "/blobs/" + digest;
    }

    static String manifestPath(String namespace, String reference) {
        return "/v2/" + namespace + "/manifests/" + reference;
    }

    static String tagsPath(String namespace) {
        return "/v2/" + namespace + "/tags/list";
    }

    static String referrersPath(String namespace, String digest) {
        return "/v2/" + namespace + "/referrers/" + digest;
    }

    /** The suite's {@code getTagList}: the {@code tags} of the body, or none when it is not a tag list. */
    static List<String> tags(Response r) {
        List<String> out = new ArrayList<>();
        try {
            r.json().path("tags").forEach(t -> out.add(t.asText()));
        } catch (RuntimeException e) {
            return List.of();
        }
        return out;
    }

    static void assertStatus(Response r, Integer... allowed) {
        assertThat(r.status()).as(r.describe()).isIn((Object[]) allowed);
    }

    static void assertSuccess(Response r) {
        assertThat(r.status()).as(r.describe()).isBetween(200, 299);
    }

    static void assertSuccessOr(Response r, Integer... alsoAllowed) {
        if (r.status() < 200 || r.status() > 299) {
            assertThat(r.status()).as(r.describe()).isIn((Object[]) alsoAllowed);
        }
    }
}
