package dev.gantry.prefetch;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.gantry.oci.Digest;
import dev.gantry.oci.MediaTypes;
import dev.gantry.testing.Awaits;
import dev.gantry.testing.GantryServer;
import dev.gantry.testing.Http;
import dev.gantry.testing.MutableClock;
import dev.gantry.testing.TestImage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Manifest-triggered prefetch, against an upstream played by WireMock (so delays and rate-limit headers are on cue). */
class PrefetchTest {

    @TempDir
    Path tmp;

    private WireMockServer upstream;
    private GantryServer gantry;
    private Http http;
    private final MutableClock clock = MutableClock.startingNow();

    @BeforeEach
    void startUpstream() {
        upstream = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1").containerThreads(40));
        upstream.start();
    }

    @AfterEach
    void stop() {
        if (gantry != null) {
            gantry.close();
        }
        upstream.stop();
    }

    private void startGantry(String prefetch) {
        gantry = GantryServer.start("upstreams:\n  - name: docker.io\n    url: " + upstream.baseUrl() + "\n    default: true\n"
                + "storage:\n  disk:\n    path: " + tmp.resolve("data") + "\n" + "prefetch:\n" + prefetch, tmp, clock);
        http = new Http(gantry.url());
    }

    /** Stubs an image under a repository: manifest by tag and digest, blobs with an optional per-blob delay. */
    private void serve(String repo, String tag, TestImage image, int blobMillis, ResponseDefinitionBuilder manifestExtras) {
        ResponseDefinitionBuilder m = manifestExtras != null ? manifestExtras : aResponse();
        m.withHeader("Content-Type", MediaTypes.OCI_MANIFEST).withHeader("Docker-Content-Digest", image.digest().toString())
                .withBody(image.manifest().bytes());
        upstream.stubFor(get(urlPathEqualTo("/v2/" + repo + "/manifests/" + tag)).willReturn(m));
        upstream.stubFor(get(urlPathEqualTo("/v2/" + repo + "/manifests/" + image.digest())).willReturn(aResponse()
                .withHeader("Content-Type", MediaTypes.OCI_MANIFEST).withBody(image.manifest().bytes())));
        for (TestImage.Blob b : image.blobs()) {
            ResponseDefinitionBuilder r = aResponse().withHeader("Content-Length", Integer.toString(b.bytes().length)).withBody(b.bytes());
            if (blobMillis > 0) {
                r.withChunkedDribbleDelay(10, blobMillis);
            }
            upstream.stubFor(get(urlPathEqualTo("/v2/" + repo + "/blobs/" + b.digest())).willReturn(r));
        }
    }

    private int blobGets(String repo) {
        return upstream.findAll(getRequestedFor(urlPathMatching("/v2/" + repo + "/blobs/.*"))).size();
    }

    private static void await(String what, BooleanSupplier condition) {
        Awaits.until(condition, Duration.ofSeconds(20), what);
    }

    private double prefetched(String result) {
        return gantry.gantry().metrics().value("gantry_prefetch_total", result);
    }

    private double manifestsPlanned(String decision) {
        return gantry.gantry().metrics().value("gantry_prefetch_manifests_total", decision);
    }

    private boolean stored(Digest d) {
        return gantry.gantry().disk().statNow(d).isPresent();
    }

    private Http.Response manifest(String repo, String reference) {
        return http.get("/v2/" + repo + "/manifests/" + reference, "Accept", MediaTypes.OCI_MANIFEST);
    }

    @Test
    void aDiskWithLessFreeSpaceThanTheReserveGetsNoPrefetchButClientsStillPull() throws Exception {
        TestImage image = TestImage.builder().seed(40).layers(3, 200_000).build();
        serve("test/full", "1", image, 0, null);
        // A reserve larger than any disk here: this one counts as nearly full.
        startGantry("  mode: always\n  diskReserve: 1000000TiB\n");

        assertThat(manifest("test/full", "1").status()).isEqualTo(200);
        await("every prefetch skipped for the reserve", () -> prefetched("skipped_disk_reserve") == image.blobs().size());
        assertThat(prefetched("issued")).isZero();
        assertThat(blobGets("test/full")).as("blob fetches by prefetch").isZero();

        for (TestImage.Blob b : image.blobs()) {
            Http.Response r = http.get("/v2/test/full/blobs/" + b.digest());
            assertThat(r.status()).isEqualTo(200);
            assertThat(Digest.sha256(r.body())).isEqualTo(b.digest());
        }
    }

    @Test
    void servingAManifestStartsTheFillsOfItsConfigAndLayers() throws Exception {
        TestImage image = TestImage.builder().seed(1).layers(4, 200_000).build();
        serve("test/app", "1", image, 0, null);
        startGantry("  mode: recent\n");

        assertThat(manifest("test/app", "1").status()).isEqualTo(200);
        for (TestImage.Blob b : image.blobs()) {
            await("prefetch of " + b.digest(), () -> stored(b.digest()));
        }
        assertThat(blobGets("test/app")).as("no client asked for a blob").isEqualTo(image.blobs().size());
        assertThat(prefetched("issued")).isEqualTo(image.blobs().size());

        Http.Response layer = http.get("/v2/test/app/blobs/" + image.layers().get(0).digest());
        assertThat(layer.header("X-Gantry-Cache")).isEqualTo("hit");
        assertThat(prefetched("used")).isEqualTo(1);
        assertThat(new String(gantry.gantry().metrics().scrape())).contains("gantry_prefetch_total{result=\"issued\"} 5.0");
    }

    @Test
    void aClientAskingForABlobBeingPrefetchedJoinsThatFill() throws Exception {
        TestImage image = TestImage.builder().seed(2).layers(2, 1_000_000).build();
        serve("test/slow", "1", image, 1500, null);
        startGantry("  mode: always\n");

        manifest("test/slow", "1");
        TestImage.Blob layer = image.layers().get(1);
        // Wait for the prefetch of this very layer to reach the upstream (which holds it for 1.5 s);
        // any fill in flight is not enough: it may be the config or the other layer.
        await("prefetch of the layer reached the upstream",
                () -> !upstream.findAll(getRequestedFor(urlPathEqualTo("/v2/test/slow/blobs/" + layer.digest()))).isEmpty());
        Http.Response r = http.get("/v2/test/slow/blobs/" + layer.digest());
        assertThat(Digest.sha256(r.body())).isEqualTo(layer.digest());
        assertThat(r.header("X-Gantry-Cache")).isEqualTo("joined");
        assertThat(upstream.findAll(getRequestedFor(urlPathEqualTo("/v2/test/slow/blobs/" + layer.digest())))).hasSize(1);
        assertThat(prefetched("used")).isEqualTo(1);
    }

    @Test
    void blobsAlreadyCachedAreNotFetchedAgain() throws Exception {
        TestImage base = TestImage.builder().seed(3).layers(2, 100_000).build();
        serve("test/base", "1", base, 0, null);
        startGantry("  mode: always\n");
        for (TestImage.Blob b : base.blobs()) {
            http.get("/v2/test/base/manifests/1", "Accept", MediaTypes.OCI_MANIFEST);
            assertThat(http.get("/v2/test/base/blobs/" + b.digest()).status()).isEqualTo(200);
        }
        await("prefetch done", () -> gantry.gantry().registry().fillsInFlight() == 0);
        int before = blobGets("test/base");
        upstream.resetRequests();

        // A manifest is handed to prefetch once per repository and digest within a while (the clock
        // below moves past it): the loop's pulls made one plan.
        await("the first pull's plan", () -> manifestsPlanned("planned") == 1);
        clock.advance(Duration.ofMinutes(5));
        double planned = manifestsPlanned("planned");
        double cached = prefetched("skipped_cached");
        manifest("test/base", base.digest().toString());
        manifest("test/base", "1");
        await("the manifest planned again", () -> manifestsPlanned("planned") == planned + 1);
        assertThat(prefetched("skipped_cached") - cached).as("blobs found cached").isEqualTo(base.blobs().size());
        assertThat(blobGets("test/base")).as("everything the manifest names is cached").isZero();
        assertThat(before).isEqualTo(base.blobs().size());
    }

    @Test
    void prefetchStopsAtItsConcurrencyBound() throws Exception {
        TestImage image = TestImage.builder().seed(4).layers(8, 300_000).build();
        serve("test/wide", "1", image, 700, null);
        startGantry("  mode: always\n  maxConcurrent: 2\n");

        manifest("test/wide", "1");
        for (TestImage.Blob b : image.blobs()) {
            await("prefetch of " + b.digest(), () -> stored(b.digest()));
        }
        assertThat(gantry.gantry().registry().prefetchMaxRunning()).isEqualTo(2);
        assertThat(prefetched("issued")).isEqualTo(image.blobs().size());
    }

    @Test
    void smallBlobsArePrefetchedFirst() throws Exception {
        TestImage image = TestImage.builder().seed(8).layer(600_000).layer(300_000).layer(40_000).layer(150_000).build();
        serve("test/order", "1", image, 200, null);
        startGantry("  mode: always\n  maxConcurrent: 1\n");

        manifest("test/order", "1");
        for (TestImage.Blob b : image.blobs()) {
            await("prefetch of " + b.digest(), () -> stored(b.digest()));
        }
        List<String> fetched = upstream.findAll(getRequestedFor(urlPathMatching("/v2/test/order/blobs/.*"))).stream()
                .sorted(Comparator.comparing(LoggedRequest::getLoggedDate))
                .map(r -> r.getUrl().substring(r.getUrl().lastIndexOf('/') + 1))
                .toList();
        List<String> smallestFirst = image.blobs().stream()
                .sorted(Comparator.comparingInt(b -> b.bytes().length))
                .map(b -> b.digest().toString())
                .toList();
        assertThat(fetched).isEqualTo(smallestFirst);
    }

    @Test
    void largeBlobsWaitUntilTheSmallOnesAreDone() throws Exception {
        // Each blob takes 400 ms to arrive; the large ones must not start before the small ones ended.
        TestImage image = TestImage.builder().seed(9).layer(3_000_000).layer(20_000).layer(2_000_000).layer(60_000).build();
        serve("test/phases", "1", image, 400, null);
        startGantry("  mode: always\n");

        manifest("test/phases", "1");
        for (TestImage.Blob b : image.blobs()) {
            await("prefetch of " + b.digest(), () -> stored(b.digest()));
        }
        Map<String, Long> requestedAt = new HashMap<>();
        for (LoggedRequest r : upstream.findAll(getRequestedFor(urlPathMatching("/v2/test/phases/blobs/.*")))) {
            requestedAt.put(r.getUrl().substring(r.getUrl().lastIndexOf('/') + 1), r.getLoggedDate().getTime());
        }
        long lastSmallStart = image.blobs().stream().filter(b -> b.bytes().length < (1 << 20))
                .mapToLong(b -> requestedAt.get(b.digest().toString())).max().orElseThrow();
        long firstLargeStart = image.blobs().stream().filter(b -> b.bytes().length >= (1 << 20))
                .mapToLong(b -> requestedAt.get(b.digest().toString())).min().orElseThrow();
        assertThat(firstLargeStart - lastSmallStart).as("ms between the last small and the first large blob request")
                .isGreaterThanOrEqualTo(350);
    }

    @Test
    void aStalledSmallBlobHoldsTheLargeOnesBackTwoSecondsAtMost() throws Exception {
        TestImage image = TestImage.builder().seed(10).layer(30_000).layer(2_000_000).build();
        serve("test/stall", "1", image, 0, null);
        TestImage.Blob small = image.layers().get(0);
        TestImage.Blob large = image.layers().get(1);
        upstream.stubFor(get(urlPathEqualTo("/v2/test/stall/blobs/" + small.digest())).willReturn(aResponse()
                .withHeader("Content-Length", Integer.toString(small.bytes().length)).withBody(small.bytes())
                .withFixedDelay(12_000)));
        startGantry("  mode: always\n");

        long asked = System.currentTimeMillis();
        manifest("test/stall", "1");
        await("prefetch of the large blob", () -> stored(large.digest()));
        long largeRequested = upstream.findAll(getRequestedFor(urlPathEqualTo("/v2/test/stall/blobs/" + large.digest())))
                .get(0).getLoggedDate().getTime();
        assertThat(largeRequested - asked).as("ms from the manifest to the large blob's request")
                .isBetween(1_900L, 8_000L); // 2 s, plus four hops on the blocking pool of a loaded machine
        assertThat(stored(small.digest())).as("the small one is still on its way").isFalse();
    }

    @Test
    void offMeansNoPrefetch() throws Exception {
        TestImage image = TestImage.builder().seed(5).layers(3, 100_000).build();
        serve("test/off", "1", image, 0, null);
        startGantry("  mode: \"off\"\n");
        assertThat(manifest("test/off", "1").status()).isEqualTo(200);
        await("prefetch decided", () -> manifestsPlanned("off") == 1);
        assertThat(manifestsPlanned("planned")).isZero();
        assertThat(blobGets("test/off")).isZero();
        assertThat(prefetched("issued")).isZero();
    }

    @Test
    void recentModeLeavesRepositoriesThatHaveNotChangedAlone() throws Exception {
        TestImage first = TestImage.builder().seed(6).layers(1, 100_000).build();
        TestImage second = TestImage.builder().seed(7).layers(2, 100_000).build();
        serve("test/old", "1", first, 0, null);
        serve("test/old", "2", second, 0, null);
        startGantry("  mode: recent\n  recentWithin: 1h\n");
        manifest("test/old", "1");
        await("first prefetch", () -> stored(first.layers().get(0).digest()));
        upstream.resetRequests();

        clock.advance(Duration.ofHours(2));
        assertThat(manifest("test/old", second.digest().toString()).status()).isEqualTo(200);
        await("prefetch decided", () -> manifestsPlanned("not_recent") == 1);
        assertThat(blobGets("test/old")).as("repository not updated within recentWithin").isZero();
    }

    @Test
    void noPrefetchWhileTheUpstreamSaysToBackOffOrItsBudgetIsLow() throws Exception {
        TestImage image = TestImage.builder().seed(8).layers(2, 100_000).build();
        serve("test/limited", "1", image, 0, aResponse().withHeader("ratelimit-limit", "100;w=21600")
                .withHeader("ratelimit-remaining", "3;w=21600"));
        startGantry("  mode: always\n  minRateLimitRemaining: 10\n");
        manifest("test/limited", "1");
        await("every blob skipped", () -> prefetched("skipped_rate_limited") == image.blobs().size());
        assertThat(blobGets("test/limited")).as("3 pulls left, 10 kept in reserve").isZero();

        TestImage other = TestImage.builder().seed(9).layers(2, 100_000).build();
        serve("test/limited", "2", other, 0, null);
        // Cached before the 429: while Retry-After runs nothing is fetched upstream, manifests included.
        assertThat(manifest("test/limited", "2").status()).isEqualTo(200);
        await("every blob of both images skipped for the low budget",
                () -> prefetched("skipped_rate_limited") == image.blobs().size() + other.blobs().size());
        upstream.stubFor(get(urlPathEqualTo("/v2/test/busy/manifests/1")).willReturn(aResponse().withStatus(429)
                .withHeader("Retry-After", "3600").withHeader("ratelimit-remaining", "80;w=21600")));
        assertThat(manifest("test/busy", "1").status()).isEqualTo(429);
        clock.advance(Duration.ofMinutes(6)); // past the time a served manifest is not planned again
        assertThat(manifest("test/limited", other.digest().toString()).status()).isEqualTo(200);
        await("every blob of the second image skipped again, now for Retry-After",
                () -> prefetched("skipped_rate_limited") == image.blobs().size() + 2L * other.blobs().size());
        assertThat(upstream.findAll(getRequestedFor(urlPathMatching("/v2/test/limited/blobs/.*")))).as("Retry-After runs").isEmpty();
    }
}
