package dev.gantry.conformance;

import static dev.gantry.conformance.ConformanceData.DUMMY_DIGEST;
import static dev.gantry.conformance.ConformanceData.NONEXISTENT_MANIFEST;
import static dev.gantry.conformance.ConformanceData.OCI_INDEX;
import static dev.gantry.conformance.ConformanceData.OCI_MANIFEST;
import static dev.gantry.conformance.ConformanceData.TEST_TAG;
import static dev.gantry.conformance.HostedGantry.CROSSMOUNT_NAMESPACE;
import static dev.gantry.conformance.HostedGantry.NAMESPACE;
import static dev.gantry.conformance.ConformanceSteps.assertStatus;
import static dev.gantry.conformance.ConformanceSteps.assertSuccess;
import static dev.gantry.conformance.ConformanceSteps.assertSuccessOr;
import static dev.gantry.conformance.ConformanceSteps.blobPath;
import static dev.gantry.conformance.ConformanceSteps.manifestPath;
import static dev.gantry.conformance.ConformanceSteps.referrersPath;
import static dev.gantry.conformance.ConformanceSteps.tags;
import static dev.gantry.conformance.ConformanceSteps.tagsPath;
import static dev.gantry.conformance.ConformanceSteps.uploadsPath;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gantry.conformance.ConformanceClient.Response;
import dev.gantry.conformance.ConformanceData.Blob;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.ClassOrderer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestClassOrder;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * A port of the OCI distribution-spec conformance suite, run against a hosted
 * namespace with all four workflows enabled (pull, push, content discovery,
 * content management), in the suite's order and on one registry, so the state
 * one workflow leaves is what the next one sees, as in the real run:
 * {@code OCI_NAMESPACE=local/conformance}, {@code OCI_CROSSMOUNT_NAMESPACE=local/crossmount},
 * with credentials, through a client that behaves on the wire as the suite's
 * does ({@link ConformanceClient}). Each test's display name carries the
 * checklist id (P = pull, U = push, D = discovery, M = management) and the
 * suite's wording; assertions are the suite's, exact where it is exact and as
 * permissive as it is where it allows alternatives. Gantry's stricter
 * behaviour at those alternatives is pinned down in the edge-case tests.
 */
@TestClassOrder(ClassOrderer.OrderAnnotation.class)
class OciConformanceTest {

    private static final List<String> SPEC_ERROR_CODES = List.of("BLOB_UNKNOWN", "BLOB_UPLOAD_INVALID", "BLOB_UPLOAD_UNKNOWN",
            "DIGEST_INVALID", "MANIFEST_BLOB_UNKNOWN", "MANIFEST_INVALID", "MANIFEST_UNKNOWN", "MANIFEST_UNVERIFIED",
            "NAME_INVALID", "NAME_UNKNOWN", "SIZE_INVALID", "TAG_INVALID", "UNAUTHORIZED", "DENIED", "UNSUPPORTED");

    @TempDir
    static Path tmp;

    static HostedGantry gantry;
    static ConformanceClient client;
    static final ConformanceData data = new ConformanceData();

    // State the suite keeps between specs.
    static Response lastResponse;
    static Response prevResponse;
    static int monolithicPostStatus;
    static Response mountResponse;
    static int emptyLayerStatus;
    static List<String> tagList = List.of();
    static int numTags;
    static boolean blobDeleteAllowed;

    @BeforeAll
    static void start() {
        gantry = HostedGantry.start(tmp);
        client = gantry.client();
    }

    @AfterAll
    static void stop() {
        gantry.close();
    }

    // ---- Pull -----------------------------------------------------------------------------------

    @Nested
    @Order(1)
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    class Pull {

        @Test
        @Order(1)
        @DisplayName("P1-P3 setup: populate registry with test blobs (configs[0], configs[1], layer)")
        void setupBlobs() {
            assertSuccess(postPut(NAMESPACE, data.configs.get(0)));
            assertSuccess(postPut(NAMESPACE, data.configs.get(1)));
            assertSuccess(postPut(NAMESPACE, data.layer));
        }

        @Test
        @Order(2)
        @DisplayName("P4 setup: populate registry with test tag (manifests[0] as tagtest0)")
        void setupTag() {
            assertSuccess(putManifest(NAMESPACE, TEST_TAG, data.manifests.get(0), OCI_MANIFEST));
        }

        @Test
        @Order(3)
        @DisplayName("P5 setup: populate registry with test manifest by digest (manifests[1])")
        void setupManifestByDigest() {
            Blob m = data.manifests.get(1);
            assertSuccess(putManifest(NAMESPACE, m.digest(), m, OCI_MANIFEST));
        }

        @Test
        @Order(7)
        @DisplayName("P7 HEAD request to nonexistent blob should result in 404 response")
        void headNonexistentBlobIs404() {
            assertStatus(client.request("HEAD", blobPath(NAMESPACE, DUMMY_DIGEST)).send(), 404);
        }

        @Test
        @Order(8)
        @DisplayName("P8 HEAD request to existing blob should yield 200")
        void headExistingBlobIs200WithItsDigest() {
            String digest = data.configs.get(0).digest();
            Response r = client.request("HEAD", blobPath(NAMESPACE, digest)).send();
            assertStatus(r, 200);
            if (r.header("Docker-Content-Digest") != null) {
                assertThat(r.header("Docker-Content-Digest")).isEqualTo(digest);
            }
        }

        @Test
        @Order(9)
        @DisplayName("P9 GET nonexistent blob should result in 404 response")
        void getNonexistentBlobIs404() {
            assertStatus(client.request("GET", blobPath(NAMESPACE, DUMMY_DIGEST)).send(), 404);
        }

        @Test
        @Order(10)
        @DisplayName("P10 GET request to existing blob URL should yield 200")
        void getExistingBlobIs200() {
            Response r = client.request("GET", blobPath(NAMESPACE, data.configs.get(0).digest())).send();
            assertStatus(r, 200);
            assertThat(r.body()).isEqualTo(data.configs.get(0).bytes());
        }

        @Test
        @Order(11)
        @DisplayName("P11 HEAD request to nonexistent manifest should return 404")
        void headNonexistentManifestIs404() {
            assertStatus(client.request("HEAD", manifestPath(NAMESPACE, NONEXISTENT_MANIFEST)).send(), 404);
        }

        @Test
        @Order(12)
        @DisplayName("P12 HEAD request to manifest[0] path (digest) should yield 200 response")
        void headManifest0ByDigestIs200() {
            headManifestByDigest(data.manifests.get(0));
        }

        @Test
        @Order(13)
        @DisplayName("P13 HEAD request to manifest[1] path (digest) should yield 200 response")
        void headManifest1ByDigestIs200() {
            headManifestByDigest(data.manifests.get(1));
        }

        private void headManifestByDigest(Blob m) {
            Response r = client.request("HEAD", manifestPath(NAMESPACE, m.digest())).header("Accept", OCI_MANIFEST).send();
            assertStatus(r, 200);
            assertThat(r.header("Docker-Content-Digest")).isEqualTo(m.digest());
        }

        @Test
        @Order(14)
        @DisplayName("P14 HEAD request to manifest path (tag) should yield 200 response")
        void headManifestByTagIs200() {
            Response r = client.request("HEAD", manifestPath(NAMESPACE, TEST_TAG)).header("Accept", OCI_MANIFEST).send();
            assertStatus(r, 200);
            assertThat(r.header("Docker-Content-Digest")).isEqualTo(data.manifests.get(0).digest());
        }

        @Test
        @Order(15)
        @DisplayName("P15 GET nonexistent manifest should return 404")
        void getNonexistentManifestIs404() {
            assertStatus(client.request("GET", manifestPath(NAMESPACE, NONEXISTENT_MANIFEST)).send(), 404);
        }

        @Test
        @Order(16)
        @DisplayName("P16 GET request to manifest[0] path (digest) should yield 200 response")
        void getManifest0ByDigestIs200() {
            getManifestByDigest(data.manifests.get(0));
        }

        @Test
        @Order(17)
        @DisplayName("P17 GET request to manifest[1] path (digest) should yield 200 response")
        void getManifest1ByDigestIs200() {
            getManifestByDigest(data.manifests.get(1));
        }

        private void getManifestByDigest(Blob m) {
            Response r = client.request("GET", manifestPath(NAMESPACE, m.digest())).header("Accept", OCI_MANIFEST).send();
            assertStatus(r, 200);
            assertThat(r.body()).isEqualTo(m.bytes());
        }

        @Test
        @Order(18)
        @DisplayName("P18 GET request to manifest path (tag) should yield 200 response")
        void getManifestByTagIs200() {
            Response r = client.request("GET", manifestPath(NAMESPACE, TEST_TAG)).header("Accept", OCI_MANIFEST).send();
            assertStatus(r, 200);
            assertThat(r.body()).isEqualTo(data.manifests.get(0).bytes());
        }

        @Test
        @Order(19)
        @DisplayName("P19 400 response body must contain error(s), if found (GET manifests/sha256:totallywrong)")
        void invalidDigestIs400WithASpecErrorCodeOr404() {
            Response r = client.request("GET", manifestPath(NAMESPACE, "sha256:totallywrong"))
                    .header("Content-Type", OCI_MANIFEST).send();
            assertStatus(r, 400, 404);
            if (r.status() == 400) {
                JsonNode errors = r.json().path("errors");
                assertThat(errors.isArray() && errors.size() > 0).as(r.describe()).isTrue();
                assertThat(errors.get(0).path("code").asText()).isIn(SPEC_ERROR_CODES);
            }
        }

        @Test
        @Order(20)
        @DisplayName("P20-P21 teardown: delete manifests created in tests")
        void teardownManifests() {
            for (Blob m : List.of(data.manifests.get(0), data.manifests.get(1))) {
                Response r = client.request("DELETE", manifestPath(NAMESPACE, m.digest())).send();
                assertSuccessOr(r, 405);
            }
        }

        @Test
        @Order(22)
        @DisplayName("P22-P24 teardown: delete blobs created in tests")
        void teardownBlobs() {
            for (Blob b : List.of(data.configs.get(0), data.configs.get(1), data.layer)) {
                Response r = client.request("DELETE", blobPath(NAMESPACE, b.digest())).send();
                assertSuccessOr(r, 404, 405);
            }
        }
    }

    // ---- Push -----------------------------------------------------------------------------------

    @Nested
    @Order(2)
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    class Push {

        @Test
        @Order(1)
        @DisplayName("U1 streamed: PATCH request with blob in body (no Content-Range) should yield 202 response")
        void streamedPatchIs202() {
            Response post = client.request("POST", uploadsPath(NAMESPACE)).send();
            assertThat(post.header("Location")).as(post.describe()).isNotEmpty();
            Response patch = client.request("PATCH", post.relativeLocation())
                    .header("Content-Type", "application/octet-stream").body(data.testBlobA.bytes()).send();
            assertStatus(patch, 202);
            assertThat(patch.header("Location")).as(patch.describe()).isNotEmpty();
            lastResponse = patch;
        }

        @Test
        @Order(2)
        @DisplayName("U2 streamed: PUT request to session URL with digest (no body) should yield 201 response")
        void emptyPutCompletesTheStreamedUpload() {
            Response put = client.request("PUT", lastResponse.relativeLocation())
                    .query("digest", data.testBlobA.digest())
                    .header("Content-Type", "application/octet-stream").send();
            assertStatus(put, 201);
            assertThat(put.header("Location")).as(put.describe()).isNotEmpty();
        }

        @Test
        @Order(3)
        @DisplayName("U3 monolithic: GET nonexistent blob should result in 404 response")
        void getNonexistentBlobIs404() {
            assertStatus(client.request("GET", blobPath(NAMESPACE, DUMMY_DIGEST)).send(), 404);
        }

        @Test
        @Order(4)
        @DisplayName("U4 monolithic: POST request with digest and blob should yield a 201 or 202")
        void monolithicPostIs201Or202() {
            Blob config = data.configs.get(1);
            Response r = client.request("POST", uploadsPath(NAMESPACE))
                    .header("Content-Type", "application/octet-stream")
                    .query("digest", config.digest()).body(config.bytes()).send();
            assertThat(r.header("Location")).as(r.describe()).isNotEmpty();
            assertStatus(r, 201, 202);
            monolithicPostStatus = r.status();
        }

        @Test
        @Order(5)
        @DisplayName("U5 monolithic: GET request to blob URL from prior request should yield 200 or 404 based on response code")
        void blobOfTheMonolithicPostIsThereIfItWas201() {
            Response r = client.request("GET", blobPath(NAMESPACE, data.configs.get(1).digest())).send();
            assertStatus(r, monolithicPostStatus == 201 ? 200 : 404);
        }

        @Test
        @Order(6)
        @DisplayName("U6 monolithic: POST request should yield a session ID (202)")
        void postStartsASession() {
            Response r = client.request("POST", uploadsPath(NAMESPACE)).send();
            assertStatus(r, 202);
            lastResponse = r;
        }

        @Test
        @Order(7)
        @DisplayName("U7 monolithic: PUT upload of a blob should yield a 201 Response")
        void putOfTheWholeBlobIs201() {
            Blob config = data.configs.get(1);
            Response r = client.request("PUT", lastResponse.relativeLocation())
                    .header("Content-Type", "application/octet-stream")
                    .query("digest", config.digest()).body(config.bytes()).send();
            assertStatus(r, 201);
            assertThat(r.header("Location")).as(r.describe()).isNotEmpty();
        }

        @Test
        @Order(8)
        @DisplayName("U8 monolithic: GET request to existing blob should yield 200 response")
        void uploadedBlobIs200() {
            Response r = client.request("GET", blobPath(NAMESPACE, data.configs.get(1).digest())).send();
            assertStatus(r, 200);
            assertThat(r.body()).isEqualTo(data.configs.get(1).bytes());
        }

        @Test
        @Order(9)
        @DisplayName("U9 monolithic: PUT upload of a layer blob should yield a 201 Response")
        void layerUploadIs201() {
            Response r = postPut(NAMESPACE, data.layer);
            assertStatus(r, 201);
            assertThat(r.header("Location")).as(r.describe()).isNotEmpty();
        }

        @Test
        @Order(10)
        @DisplayName("U10 monolithic: GET request to existing layer should yield 200 response")
        void uploadedLayerIs200() {
            Response r = client.request("GET", blobPath(NAMESPACE, data.layer.digest())).send();
            assertStatus(r, 200);
            assertThat(r.body()).isEqualTo(data.layer.bytes());
        }

        @Test
        @Order(11)
        @DisplayName("U11 chunked: out-of-order blob upload should return 416")
        void outOfOrderChunkIs416() {
            Response post = client.request("POST", uploadsPath(NAMESPACE)).send();
            assertThat(post.header("Location")).as(post.describe()).isNotEmpty();
            String min = post.header("OCI-Chunk-Min-Length");
            if (min != null) {
                assertThat(min).matches("[0-9]+");
            }
            Response patch = client.request("PATCH", post.relativeLocation())
                    .header("Content-Type", "application/octet-stream")
                    .header("Content-Range", data.testBlobBChunk2Range)
                    .body(data.testBlobBChunk2).send();
            assertStatus(patch, 416);
        }

        @Test
        @Order(12)
        @DisplayName("U12 chunked: PATCH request with first chunk should return 202")
        void firstChunkIs202WithItsRange() {
            Response post = client.request("POST", uploadsPath(NAMESPACE)).send();
            assertThat(post.header("Location")).as(post.describe()).isNotEmpty();
            prevResponse = post;
            Response patch = client.request("PATCH", post.relativeLocation())
                    .header("Content-Type", "application/octet-stream")
                    .header("Content-Range", data.testBlobBChunk1Range)
                    .body(data.testBlobBChunk1).send();
            assertStatus(patch, 202);
            assertThat(patch.header("Range")).isEqualTo(data.testBlobBChunk1Range);
            lastResponse = patch;
        }

        @Test
        @Order(13)
        @DisplayName("U13 chunked: retry previous blob chunk should return 416")
        void repeatedChunkIs416() {
            Response patch = client.request("PATCH", prevResponse.relativeLocation())
                    .header("Content-Type", "application/octet-stream")
                    .header("Content-Range", data.testBlobBChunk1Range)
                    .body(data.testBlobBChunk1).send();
            assertStatus(patch, 416);
        }

        @Test
        @Order(14)
        @DisplayName("U14 chunked: get on stale blob upload should return 204 with a range and location")
        void uploadStatusIs204WithRangeAndLocation() {
            Response r = client.request("GET", prevResponse.relativeLocation()).send();
            assertStatus(r, 204);
            assertThat(r.header("Location")).as(r.describe()).isNotEmpty();
            assertThat(r.header("Range")).isEqualTo(data.testBlobBChunk1Range);
            lastResponse = r;
        }

        @Test
        @Order(15)
        @DisplayName("U15 chunked: PATCH request with second chunk should return 202")
        void secondChunkIs202() {
            Response patch = client.request("PATCH", lastResponse.relativeLocation())
                    .header("Content-Type", "application/octet-stream")
                    .header("Content-Range", data.testBlobBChunk2Range)
                    .body(data.testBlobBChunk2).send();
            assertStatus(patch, 202);
            assertThat(patch.header("Location")).as(patch.describe()).isNotEmpty();
            lastResponse = patch;
        }

        @Test
        @Order(16)
        @DisplayName("U16 chunked: PUT request with digest (no body) should yield 201")
        void emptyPutCompletesTheChunkedUpload() {
            Response put = client.request("PUT", lastResponse.relativeLocation())
                    .header("Content-Type", "application/octet-stream")
                    .query("digest", data.testBlobB.digest()).send();
            assertStatus(put, 201);
            assertThat(put.header("Location")).as(put.describe()).isNotEmpty();
            Response get = client.request("GET", blobPath(NAMESPACE, data.testBlobB.digest())).send();
            assertStatus(get, 200);
            assertThat(get.body()).isEqualTo(data.testBlobB.bytes());
        }

        @Test
        @Order(17)
        @DisplayName("U17 cross-repository mount: POST with mount of an unknown blob (no from) should yield 202")
        void mountOfAnUnknownBlobStartsASession() {
            Response r = client.request("POST", uploadsPath(CROSSMOUNT_NAMESPACE)).query("mount", DUMMY_DIGEST).send();
            assertStatus(r, 202);
            assertThat(r.header("Location")).as(r.describe()).isNotEmpty();
        }

        @Test
        @Order(18)
        @DisplayName("U18 cross-repository mount: POST request to mount another repository's blob should return 201 or 202")
        void mountIs201Or202() {
            Response r = client.request("POST", uploadsPath(CROSSMOUNT_NAMESPACE))
                    .query("mount", data.testBlobA.digest()).query("from", NAMESPACE).send();
            assertStatus(r, 201, 202);
            mountResponse = r;
        }

        @Test
        @Order(19)
        @DisplayName("U19 cross-repository mount: if 201, Location is the mounted blob and GET it yields 200")
        void mountedBlobIsAtTheLocation() {
            assumeTrue(mountResponse.status() == 201, "mount answered 202");
            assertThat(mountResponse.relativeLocation())
                    .isEqualTo("/v2/" + CROSSMOUNT_NAMESPACE + "/blobs/" + data.testBlobA.digest());
            assertStatus(client.request("GET", mountResponse.relativeLocation()).send(), 200);
        }

        @Test
        @Order(20)
        @DisplayName("U20 cross-repository mount: if 202, Location is an upload session in the target repository")
        void unmountedFallsBackToASessionInTheTarget() {
            assumeTrue(mountResponse.status() == 202, "mount answered 201");
            assertThat(mountResponse.relativeLocation()).startsWith("/v2/" + CROSSMOUNT_NAMESPACE + "/blobs/uploads/");
        }

        @Test
        @Order(23)
        @DisplayName("U23 manifest upload: GET nonexistent manifest should return 404")
        void getNonexistentManifestIs404() {
            assertStatus(client.request("GET", manifestPath(NAMESPACE, NONEXISTENT_MANIFEST)).send(), 404);
        }

        @Test
        @Order(24)
        @DisplayName("U24 manifest upload: PUT should accept a manifest upload (tags test0..test3)")
        void manifestPutByTagIs201() {
            for (int i = 0; i < 4; i++) {
                Response r = putManifest(NAMESPACE, "test" + i, data.manifests.get(1), OCI_MANIFEST);
                assertThat(r.header("Location")).as(r.describe()).isNotEmpty();
                assertStatus(r, 201);
            }
        }

        @Test
        @Order(25)
        @DisplayName("U25 manifest upload: registry should accept a manifest upload with no layers")
        void manifestWithoutLayersIsAccepted() {
            Response r = putManifest(NAMESPACE, ConformanceData.EMPTY_LAYER_TAG, data.emptyLayerManifest, OCI_MANIFEST);
            emptyLayerStatus = r.status();
            if (r.status() == 201) {
                assertThat(r.header("Location")).as(r.describe()).isNotEmpty();
            } else {
                System.err.println("WARNING: image manifest with no layers is not supported: " + r.describe());
            }
        }

        @Test
        @Order(26)
        @DisplayName("U26 manifest upload: GET request to manifest URL (digest) should yield 200 response")
        void pushedManifestIs200() {
            Blob m = data.manifests.get(1);
            Response r = client.request("GET", manifestPath(NAMESPACE, m.digest())).header("Accept", OCI_MANIFEST).send();
            assertStatus(r, 200);
            assertThat(r.body()).isEqualTo(m.bytes());
        }

        @Test
        @Order(27)
        @DisplayName("U27 teardown: delete manifests created in tests")
        void teardownManifests() {
            assertSuccessOr(client.request("DELETE", manifestPath(NAMESPACE, data.manifests.get(1).digest())).send(), 405);
            if (emptyLayerStatus == 201) {
                assertSuccessOr(client.request("DELETE", manifestPath(NAMESPACE, data.emptyLayerManifest.digest())).send(), 405);
            }
        }

        @Test
        @Order(28)
        @DisplayName("U28-U29 teardown: delete config and layer blobs created in tests")
        void teardownBlobs() {
            for (Blob b : List.of(data.configs.get(1), data.layer)) {
                assertSuccessOr(client.request("DELETE", blobPath(NAMESPACE, b.digest())).send(), 404, 405);
            }
        }
    }

    // ---- Content discovery ----------------------------------------------------------------------

    @Nested
    @Order(3)
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    class ContentDiscovery {

        @Test
        @Order(1)
        @DisplayName("D1-D2 setup: populate registry with test blobs (configs[2], layer)")
        void setupBlobs() {
            assertSuccess(postPut(NAMESPACE, data.configs.get(2)));
            assertSuccess(postPut(NAMESPACE, data.layer));
        }

        @Test
        @Order(3)
        @DisplayName("D3 setup: populate registry with test tags (manifests[2] as test0..test3)")
        void setupTags() {
            for (int i = 0; i < 4; i++) {
                assertSuccess(putManifest(NAMESPACE, "test" + i, data.manifests.get(2), OCI_MANIFEST));
            }
        }

        @Test
        @Order(5)
        @DisplayName("D5 setup: populate registry with test references (every PUT with a subject answers OCI-Subject)")
        void setupReferences() {
            assertSuccess(postPut(NAMESPACE, data.emptyJson));
            assertSuccess(postPut(NAMESPACE, data.testRefBlobA));
            String subject4 = data.manifests.get(4).digest();
            assertSubject(putManifest(NAMESPACE, data.refsAConfig.digest(), data.refsAConfig, OCI_MANIFEST), subject4);
            assertSubject(putManifest(NAMESPACE, data.refsALayer.digest(), data.refsALayer, OCI_MANIFEST), subject4);
            assertSubject(putManifest(NAMESPACE, data.refsIndex.digest(), data.refsIndex, OCI_INDEX), subject4);
            assertSuccess(postPut(NAMESPACE, data.configs.get(4)));
            assertSuccess(postPut(NAMESPACE, data.layer));
            assertSuccess(putManifest(NAMESPACE, TEST_TAG, data.manifests.get(4), OCI_MANIFEST));
            assertSuccess(postPut(NAMESPACE, data.testRefBlobB));
            assertSubject(putManifest(NAMESPACE, data.refsBConfig.digest(), data.refsBConfig, OCI_MANIFEST), subject4);
            assertSubject(putManifest(NAMESPACE, data.refsBLayer.digest(), data.refsBLayer, OCI_MANIFEST), subject4);
            assertSubject(putManifest(NAMESPACE, data.refsCLayer.digest(), data.refsCLayer, OCI_MANIFEST),
                    data.manifests.get(3).digest());
        }

        private void assertSubject(Response r, String subject) {
            assertSuccess(r);
            assertThat(r.header("OCI-Subject")).as(r.describe()).isEqualTo(subject);
        }

        @Test
        @Order(6)
        @DisplayName("D6 GET request to list tags should yield 200 response")
        void tagsListIs200() {
            Response r = client.request("GET", tagsPath(NAMESPACE)).send();
            assertStatus(r, 200);
            tagList = tags(r);
            numTags = tagList.size();
        }

        @Test
        @Order(7)
        @DisplayName("D7 GET number of tags should be limitable by `n` query parameter")
        void tagsListIsLimitedByN() {
            int numResults = numTags / 2;
            Response r = client.request("GET", tagsPath(NAMESPACE)).query("n", Integer.toString(numResults)).send();
            assertStatus(r, 200);
            tagList = tags(r);
            assertThat(tagList).hasSize(numResults);
        }

        @Test
        @Order(8)
        @DisplayName("D8 GET start of tag is set by `last` query parameter")
        void tagsListStartsAfterLast() {
            int numResults = numTags / 2;
            Response first = client.request("GET", tagsPath(NAMESPACE)).query("n", Integer.toString(numResults)).send();
            tagList = tags(first);
            Response r = client.request("GET", tagsPath(NAMESPACE)).query("n", Integer.toString(numResults))
                    .query("last", tagList.get(numResults - 1)).send();
            assertStatus(r, 200);
            assertThat(tagList).hasSizeLessThanOrEqualTo(numResults).contains(tagList.get(numResults - 1));
        }

        @Test
        @Order(9)
        @DisplayName("D9 GET referrers of a nonexistent digest should result in an empty 200 response")
        void referrersOfAnUnknownDigestIsAnEmptyIndex() {
            Response r = client.request("GET", referrersPath(NAMESPACE, DUMMY_DIGEST)).send();
            assertStatus(r, 200);
            assertThat(r.header("Content-Type")).isEqualTo(OCI_INDEX);
            assertThat(r.json().path("manifests")).isEmpty();
        }

        @Test
        @Order(10)
        @DisplayName("D10 GET referrers of an existing manifest should yield 200 with its 5 referrers")
        void referrersListsEveryReferrerWithItsAnnotation() {
            Response r = client.request("GET", referrersPath(NAMESPACE, data.manifests.get(4).digest())).send();
            assertStatus(r, 200);
            assertThat(r.header("Content-Type")).isEqualTo(OCI_INDEX);
            JsonNode manifests = r.json().path("manifests");
            assertThat(manifests).as(r.describe()).hasSize(5);
            assertThat(manifests.get(0).path("digest").asText()).isNotEqualTo(manifests.get(1).path("digest").asText());
            assertAnnotated(manifests);
            Set<String> digests = new HashSet<>();
            manifests.forEach(m -> {
                digests.add(m.path("digest").asText());
                assertThat(m.path("size").isIntegralNumber()).as("size of %s", m).isTrue();
            });
            assertThat(digests).containsExactlyInAnyOrder(data.refsAConfig.digest(), data.refsALayer.digest(),
                    data.refsIndex.digest(), data.refsBConfig.digest(), data.refsBLayer.digest());
        }

        @Test
        @Order(11)
        @DisplayName("D11 GET referrers with an artifactType filter should yield 200 with the matching ones")
        void referrersFilteredByArtifactType() {
            Response r = client.request("GET", referrersPath(NAMESPACE, data.manifests.get(4).digest()))
                    .query("artifactType", ConformanceData.ARTIFACT_TYPE_A).send();
            assertStatus(r, 200);
            assertThat(r.header("Content-Type")).isEqualTo(OCI_INDEX);
            JsonNode manifests = r.json().path("manifests");
            // The official suite also accepts an unfiltered answer without the header; Gantry filters, so
            // this port requires it.
            assertThat(r.header("OCI-Filters-Applied")).as(r.describe()).isEqualTo("artifactType");
            assertThat(manifests).as(r.describe()).hasSize(2);
            assertAnnotated(manifests);
        }

        private void assertAnnotated(JsonNode manifests) {
            for (JsonNode m : manifests) {
                JsonNode annotations = m.path("annotations");
                assertThat(annotations.size()).as("annotations of %s", m).isEqualTo(1);
                assertThat(annotations.path(ConformanceData.ANNOTATION_KEY).asText())
                        .isEqualTo(data.annotationValues.get(m.path("digest").asText()));
            }
        }

        @Test
        @Order(12)
        @DisplayName("D12 GET referrers of a manifest that was never pushed should yield 200 with its referrer")
        void referrersOfAMissingSubject() {
            Response r = client.request("GET", referrersPath(NAMESPACE, data.manifests.get(3).digest())).send();
            assertStatus(r, 200);
            assertThat(r.header("Content-Type")).isEqualTo(OCI_INDEX);
            JsonNode manifests = r.json().path("manifests");
            assertThat(manifests).as(r.describe()).hasSize(1);
            assertThat(manifests.get(0).path("digest").asText()).isEqualTo(data.refsCLayer.digest());
        }

        @Test
        @Order(13)
        @DisplayName("D13 teardown: delete created manifests & associated tags")
        void teardownManifests() {
            for (String ref : List.of(data.refsIndex.digest(), data.manifests.get(2).digest(), data.manifests.get(4).digest(),
                    data.refsAConfig.digest(), data.refsALayer.digest(), TEST_TAG, data.refsBConfig.digest(),
                    data.refsBLayer.digest(), data.refsCLayer.digest())) {
                assertSuccessOr(client.request("DELETE", manifestPath(NAMESPACE, ref)).send(), 404, 405);
            }
        }

        @Test
        @Order(14)
        @DisplayName("D14 teardown: delete config blob created in tests (2xx or 405, not 404)")
        void teardownConfig() {
            assertSuccessOr(client.request("DELETE", blobPath(NAMESPACE, data.configs.get(2).digest())).send(), 405);
        }

        @Test
        @Order(15)
        @DisplayName("D15 teardown: delete layer blob created in setup (2xx or 405, not 404)")
        void teardownLayer() {
            assertSuccessOr(client.request("DELETE", blobPath(NAMESPACE, data.layer.digest())).send(), 405);
        }

        @Test
        @Order(16)
        @DisplayName("D16 teardown: references")
        void teardownReferences() {
            for (String ref : List.of(data.refsIndex.digest(), data.refsAConfig.digest(), data.refsALayer.digest(),
                    data.manifests.get(4).digest(), data.refsBConfig.digest(), data.refsBLayer.digest())) {
                assertSuccessOr(client.request("DELETE", manifestPath(NAMESPACE, ref)).send(), 404, 405);
            }
            for (Blob b : List.of(data.configs.get(4), data.testRefBlobA, data.testRefBlobB, data.emptyJson)) {
                assertSuccessOr(client.request("DELETE", blobPath(NAMESPACE, b.digest())).send(), 404, 405);
            }
        }
    }

    // ---- Content management ---------------------------------------------------------------------

    @Nested
    @Order(4)
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    class ContentManagement {

        @Test
        @Order(1)
        @DisplayName("M1-M3 setup: populate registry with test blobs and tag (manifests[3] as tagtest0)")
        void setup() {
            assertSuccess(postPut(NAMESPACE, data.configs.get(3)));
            assertSuccess(postPut(NAMESPACE, data.layer));
            assertSuccess(putManifest(NAMESPACE, TEST_TAG, data.manifests.get(3), OCI_MANIFEST));
        }

        @Test
        @Order(4)
        @DisplayName("M4 GET request to list tags should yield 200 response and valid JSON")
        void tagsListBeforeDelete() {
            Response r = client.request("GET", tagsPath(NAMESPACE)).send();
            assertStatus(r, 200);
            tagList = tags(r);
            numTags = tagList.size();
        }

        @Test
        @Order(5)
        @DisplayName("M5 DELETE request to manifest tag should return 202, unless tag deletion is disallowed (400/405)")
        void tagDelete() {
            Response r = client.request("DELETE", manifestPath(NAMESPACE, TEST_TAG)).send();
            assertStatus(r, 202, 400, 405);
            if (r.status() == 400) {
                assertThat(r.json().path("errors").path(0).path("code").asText()).isEqualTo("UNSUPPORTED");
            }
        }

        @Test
        @Order(6)
        @DisplayName("M6 DELETE request to manifest (digest) should yield 202 response unless already deleted")
        void manifestDelete() {
            assertStatus(client.request("DELETE", manifestPath(NAMESPACE, data.manifests.get(3).digest())).send(), 202, 404);
        }

        @Test
        @Order(7)
        @DisplayName("M7 GET request to deleted manifest URL should yield 404 response, unless delete is disallowed")
        void deletedManifest() {
            assertStatus(client.request("GET", manifestPath(NAMESPACE, data.manifests.get(3).digest())).send(), 404, 200);
        }

        @Test
        @Order(8)
        @DisplayName("M8 GET tags list should yield 200 and fewer tags than before (an empty list when none are left)")
        void tagsListAfterDelete() {
            Response r = client.request("GET", tagsPath(NAMESPACE)).send();
            assertStatus(r, 200);
            assertThat(r.json().path("tags").isArray()).as(r.describe()).isTrue();
            assertThat(tags(r)).hasSizeLessThan(numTags);
        }

        @Test
        @Order(9)
        @DisplayName("M9 DELETE request to blob URL should yield 202 response (404/405 tolerated)")
        void blobDelete() {
            Response config = client.request("DELETE", blobPath(NAMESPACE, data.configs.get(3).digest())).send();
            assertStatus(config, 202, 404, 405);
            Response layer = client.request("DELETE", blobPath(NAMESPACE, data.layer.digest())).send();
            assertStatus(layer, 202, 404, 405);
            blobDeleteAllowed = config.status() == 202;
        }

        @Test
        @Order(10)
        @DisplayName("M10 GET request to deleted blob URL should yield 404 response")
        void deletedBlob() {
            assumeTrue(blobDeleteAllowed, "blob deletion is not allowed");
            assertStatus(client.request("GET", blobPath(NAMESPACE, data.configs.get(3).digest())).send(), 404);
        }
    }

    // ---- helpers ----------------------------------------------------------------------------------

    private static Response postPut(String namespace, Blob blob) {
        return ConformanceSteps.postPut(client, namespace, blob);
    }

    private static Response putManifest(String namespace, String reference, Blob manifest, String contentType) {
        return ConformanceSteps.putManifest(client, namespace, reference, manifest, contentType);
    }
}
