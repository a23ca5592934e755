package dev.gantry.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.oci.Digest;
import dev.gantry.oci.MediaTypes;
import dev.gantry.testing.DistributionRegistry;
import dev.gantry.testing.EnginePull;
import dev.gantry.testing.GantryServer;
import dev.gantry.testing.Http;
import dev.gantry.testing.MutableClock;
import dev.gantry.testing.Pusher;
import dev.gantry.testing.TestImage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pull-through mirror against a real upstream: CNCF Distribution from
 * Debian, with requests counted in its access log.
 */
class PullThroughIT {

    private static final String ACCEPT_ALL = String.join(", ", MediaTypes.MANIFEST_TYPES);

    @TempDir
    Path tmp;

    private DistributionRegistry upstream;
    private GantryServer gantry;
    private MutableClock clock;
    private Http http;

    @BeforeEach
    void start() {
        upstream = DistributionRegistry.start(tmp.resolve("upstream"));
        clock = MutableClock.startingNow();
        gantry = GantryServer.mirroring(upstream.url(), tmp.resolve("gantry"), clock);
        http = new Http(gantry.url());
    }

    @AfterEach
    void stop() {
        if (gantry != null) {
            gantry.close();
        }
        upstream.close();
    }

    private TestImage pushImage(String repo, String tag, long seed) {
        TestImage image = TestImage.builder().seed(seed).layer(300_000).layer(40_000).layer(1_200_000).build();
        new Pusher(upstream.url()).push(repo, tag, image);
        upstream.resetLog();
        return image;
    }

    /** Pulls an image the way an engine does: manifest by tag, then every blob. Returns the manifest digest. */
    private String pull(String repo, String tag, TestImage expected) {
        return EnginePull.pull(http, repo, tag, expected);
    }

    @Test
    void manifestKeepsItsBytesDigestAndMediaType() {
        TestImage image = pushImage("test/hello", "1", 1);
        Http.Response r = http.get("/v2/test/hello/manifests/1", "Accept", ACCEPT_ALL);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo(image.manifest().bytes());
        assertThat(r.header("Docker-Content-Digest")).isEqualTo(image.digest().toString());
        assertThat(r.header("Content-Type")).isEqualTo(MediaTypes.OCI_MANIFEST);
        assertThat(r.header("Content-Length")).isEqualTo(Integer.toString(image.manifest().bytes().length));
        Http.Response head = http.head("/v2/test/hello/manifests/" + image.digest(), "Accept", ACCEPT_ALL);
        assertThat(head.status()).isEqualTo(200);
        assertThat(head.header("Docker-Content-Digest")).isEqualTo(image.digest().toString());
        assertThat(head.body()).isEmpty();
    }

    @Test
    void secondPullMakesNoUpstreamRequestsAtAll() {
        TestImage image = pushImage("test/hello", "1", 2);
        pull("test/hello", "1", image);
        assertThat(upstream.count(DistributionRegistry.Request::isBlobGet)).isEqualTo(image.blobs().size());
        upstream.resetLog();

        pull("test/hello", "1", image);
        assertThat(upstream.requests()).as("upstream requests on the second pull").isEmpty();
    }

    @Test
    void eightConcurrentColdPullsFetchEachBlobFromUpstreamOnce() throws Exception {
        TestImage image = TestImage.builder().seed(3).layers(6, 2_000_000).build();
        new Pusher(upstream.url()).push("test/big", "1", image);
        upstream.resetLog();

        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<String>> pulls = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                pulls.add(pool.submit(() -> pull("test/big", "1", image)));
            }
            for (Future<String> f : pulls) {
                assertThat(f.get()).isEqualTo(image.digest().toString());
            }
        } finally {
            pool.shutdownNow();
        }
        Map<String, Long> blobGets = upstream.requests().stream().filter(DistributionRegistry.Request::isBlobGet)
                .collect(Collectors.groupingBy(DistributionRegistry.Request::path, Collectors.counting()));
        assertThat(blobGets).hasSize(image.blobs().size());
        assertThat(blobGets.values()).allMatch(n -> n == 1);
        assertThat(upstream.count(DistributionRegistry.Request::isManifestGet)).isEqualTo(1);
    }

    @Test
    void tagIsRevalidatedWithHeadAfterTtlAndServedWithoutAnotherGet() {
        TestImage image = pushImage("test/hello", "1", 4);
        pull("test/hello", "1", image);
        upstream.resetLog();

        clock.advance(Duration.ofSeconds(30));
        http.get("/v2/test/hello/manifests/1", "Accept", ACCEPT_ALL);
        assertThat(upstream.requests()).as("within tagTtl").isEmpty();

        clock.advance(Duration.ofSeconds(61));
        Http.Response r = http.get("/v2/test/hello/manifests/1", "Accept", ACCEPT_ALL);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("X-Gantry-Cache")).isEqualTo("revalidated");
        List<DistributionRegistry.Request> seen = upstream.requests();
        assertThat(seen).extracting(DistributionRegistry.Request::method).containsExactly("HEAD");
    }

    @Test
    void changedTagIsFetchedOnceTheTtlPassed() {
        TestImage first = pushImage("test/hello", "1", 5);
        pull("test/hello", "1", first);
        TestImage second = pushImage("test/hello", "1", 6);

        assertThat(http.get("/v2/test/hello/manifests/1", "Accept", ACCEPT_ALL).header("Docker-Content-Digest"))
                .as("still within tagTtl").isEqualTo(first.digest().toString());
        clock.advance(Duration.ofSeconds(61));
        assertThat(pull("test/hello", "1", second)).isEqualTo(second.digest().toString());
    }

    @Test
    void everyTagPulledBeforeStillPullsWhileUpstreamIsDown() {
        TestImage image = pushImage("test/hello", "1", 7);
        TestImage other = pushImage("test/other", "latest", 8);
        pull("test/hello", "1", image);
        pull("test/other", "latest", other);
        upstream.stop();

        clock.advance(Duration.ofMinutes(10));
        Http.Response r = http.get("/v2/test/hello/manifests/1", "Accept", ACCEPT_ALL);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("X-Gantry-Stale")).isEqualTo("upstream-unreachable");
        assertThat(r.header("Warning")).contains("110");
        assertThat(pull("test/hello", "1", image)).isEqualTo(image.digest().toString());
        assertThat(pull("test/other", "latest", other)).isEqualTo(other.digest().toString());

        Http.Response never = http.get("/v2/test/never/manifests/1", "Accept", ACCEPT_ALL);
        assertThat(never.status()).isEqualTo(503);
        assertThat(never.text()).contains("UNAVAILABLE");
    }

    @Test
    void theCacheSurvivesARestartAndServesWithTheUpstreamDown() {
        TestImage image = pushImage("test/hello", "1", 19);
        pull("test/hello", "1", image);
        gantry.close();
        upstream.stop();

        gantry = GantryServer.mirroring(upstream.url(), tmp.resolve("gantry"), clock);
        http = new Http(gantry.url());
        Http.Response fresh = http.get("/v2/test/hello/manifests/1", "Accept", ACCEPT_ALL);
        assertThat(fresh.status()).isEqualTo(200);
        assertThat(fresh.header("X-Gantry-Cache")).isEqualTo("hit");
        assertThat(pull("test/hello", "1", image)).isEqualTo(image.digest().toString());
        clock.advance(Duration.ofMinutes(5));
        assertThat(http.get("/v2/test/hello/manifests/1", "Accept", ACCEPT_ALL).header("X-Gantry-Stale")).isNotNull();
    }

    @Test
    void upstream404IsRememberedBriefly() {
        pushImage("test/hello", "1", 9);
        assertThat(http.get("/v2/test/hello/manifests/nope", "Accept", ACCEPT_ALL).status()).isEqualTo(404);
        assertThat(http.get("/v2/test/hello/manifests/nope", "Accept", ACCEPT_ALL).text()).contains("MANIFEST_UNKNOWN");
        assertThat(upstream.count(r -> r.path().endsWith("/manifests/nope"))).isEqualTo(1);

        clock.advance(Duration.ofSeconds(11));
        assertThat(http.get("/v2/test/hello/manifests/nope", "Accept", ACCEPT_ALL).status()).isEqualTo(404);
        assertThat(upstream.count(r -> r.path().endsWith("/manifests/nope"))).isEqualTo(2);
    }

    @Test
    void multiPlatformIndexAndItsPlatformsAreServedByDigest() {
        TestImage amd = TestImage.builder().seed(10).platform("linux", "amd64").layer(100_000).build();
        TestImage arm = TestImage.builder().seed(11).platform("linux", "arm64").layer(100_000).build();
        TestImage.Index index = TestImage.Index.of(List.of(amd, arm), false);
        new Pusher(upstream.url()).push("test/multi", "1", index);

        Http.Response idx = http.get("/v2/test/multi/manifests/1", "Accept", ACCEPT_ALL);
        assertThat(idx.status()).isEqualTo(200);
        assertThat(idx.header("Content-Type")).isEqualTo(MediaTypes.OCI_INDEX);
        assertThat(idx.body()).isEqualTo(index.manifest().bytes());
        assertThat(pull("test/multi", arm.digest().toString(), arm)).isEqualTo(arm.digest().toString());
        assertThat(pull("test/multi", amd.digest().toString(), amd)).isEqualTo(amd.digest().toString());
    }

    @Test
    void clientThatCannotTakeAnIndexGetsTheLinuxAmd64Manifest() {
        TestImage amd = TestImage.builder().seed(12).platform("linux", "amd64").layer(1000).build();
        TestImage arm = TestImage.builder().seed(13).platform("linux", "arm64").layer(1000).build();
        new Pusher(upstream.url()).push("test/multi", "1", TestImage.Index.of(List.of(arm, amd), false));

        Http.Response r = http.get("/v2/test/multi/manifests/1", "Accept", MediaTypes.OCI_MANIFEST);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("Docker-Content-Digest")).isEqualTo(amd.digest().toString());

        Http.Response refused = http.get("/v2/test/multi/manifests/1", "Accept", MediaTypes.DOCKER_MANIFEST);
        assertThat(refused.status()).isEqualTo(404);
        assertThat(refused.text()).contains("MANIFEST_UNKNOWN").contains("does not accept");
        // Asked for by digest, the index is never another manifest: the client checks what it gets against it.
        String indexDigest = http.get("/v2/test/multi/manifests/1", "Accept", ACCEPT_ALL).header("Docker-Content-Digest");
        Http.Response byDigest = http.get("/v2/test/multi/manifests/" + indexDigest, "Accept", MediaTypes.OCI_MANIFEST);
        assertThat(byDigest.status()).isEqualTo(404);
        assertThat(byDigest.text()).contains("MANIFEST_UNKNOWN");
    }

    @Test
    void rangeRequestsAreServedFromCacheAndFromAFill() {
        TestImage image = pushImage("test/hello", "1", 14);
        TestImage.Blob layer = image.layers().get(2);
        String path = "/v2/test/hello/blobs/" + layer.digest();
        http.get("/v2/test/hello/manifests/1", "Accept", ACCEPT_ALL);

        Http.Response cold = http.get(path, "Range", "bytes=100-199");
        assertThat(cold.status()).isEqualTo(206);
        assertThat(cold.body()).isEqualTo(Arrays.copyOfRange(layer.bytes(), 100, 200));
        Http.Response warm = http.get(path, "Range", "bytes=-50");
        assertThat(warm.status()).isEqualTo(206);
        assertThat(warm.header("Content-Range")).isEqualTo("bytes " + (layer.bytes().length - 50) + "-"
                + (layer.bytes().length - 1) + "/" + layer.bytes().length);
        assertThat(warm.body()).isEqualTo(Arrays.copyOfRange(layer.bytes(), layer.bytes().length - 50, layer.bytes().length));
        Http.Response beyond = http.get(path, "Range", "bytes=" + layer.bytes().length + "-");
        assertThat(beyond.status()).isEqualTo(416);
        assertThat(beyond.header("Content-Range")).isEqualTo("bytes */" + layer.bytes().length);
        assertThat(upstream.count(r -> r.isBlobGet() && r.path().endsWith(layer.digest().toString())))
                .as("one upstream GET of the layer, whoever started it").isEqualTo(1);
    }

    @Test
    void blobsOfAnotherRepositoryAreServedOnlyAfterItsUpstreamConfirms() {
        TestImage image = pushImage("test/hello", "1", 15);
        pull("test/hello", "1", image);
        upstream.resetLog();
        TestImage.Blob layer = image.layers().get(0);

        Http.Response foreign = http.get("/v2/test/elsewhere/blobs/" + layer.digest());
        assertThat(foreign.status()).as("test/elsewhere does not hold it upstream").isEqualTo(404);
        assertThat(foreign.text()).contains("BLOB_UNKNOWN");
        assertThat(upstream.count(DistributionRegistry.Request::isBlobGet)).isZero();
        assertThat(upstream.count(r -> r.method().equals("HEAD") && r.path().startsWith("/v2/test/elsewhere/blobs/"))).isEqualTo(1);
    }

    @Test
    void routesByDefaultByNsParameterAndByPathPrefix() {
        TestImage image = pushImage("test/hello", "1", 16);
        TestImage official = pushImage("library/alpine", "3", 17);
        assertThat(http.get("/v2/test/hello/manifests/1?ns=docker.io", "Accept", ACCEPT_ALL).body()).isEqualTo(image.manifest().bytes());
        assertThat(http.get("/v2/docker.io/test/hello/manifests/1", "Accept", ACCEPT_ALL).body()).isEqualTo(image.manifest().bytes());
        assertThat(http.get("/v2/alpine/manifests/3", "Accept", ACCEPT_ALL).body()).isEqualTo(official.manifest().bytes());
        assertThat(http.get("/v2/docker.io/alpine/manifests/3", "Accept", ACCEPT_ALL).body()).isEqualTo(official.manifest().bytes());

        Http.Response unknownNs = http.get("/v2/test/hello/manifests/1?ns=evil.example.com", "Accept", ACCEPT_ALL);
        assertThat(unknownNs.status()).isEqualTo(404);
        assertThat(unknownNs.text()).contains("NAME_UNKNOWN").contains("not a configured upstream");
        Http.Response unknownPrefix = http.get("/v2/quay.io/test/hello/manifests/1", "Accept", ACCEPT_ALL);
        assertThat(unknownPrefix.status()).isEqualTo(404);
        assertThat(unknownPrefix.text()).contains("NAME_UNKNOWN");
    }

    @Test
    void tagsListPassesPaginationThroughWithLinkHeaders() {
        TestImage image = pushImage("test/hello", "a", 18);
        Pusher pusher = new Pusher(upstream.url());
        for (String tag : List.of("b", "c", "d")) {
            pusher.putManifest("test/hello", tag, image.manifest());
        }
        Http.Response page = http.get("/v2/test/hello/tags/list?n=2");
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.text()).contains("\"tags\":[\"a\",\"b\"]").contains("\"name\":\"test/hello\"");
        assertThat(page.header("Link")).isEqualTo("</v2/test/hello/tags/list?n=2&last=b>; rel=\"next\"");
        Http.Response next = http.get("/v2/test/hello/tags/list?n=2&last=b");
        assertThat(next.text()).contains("\"tags\":[\"c\",\"d\"]");
        assertThat(next.header("Link")).isNull();
    }
}
