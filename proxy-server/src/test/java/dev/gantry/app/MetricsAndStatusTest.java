package dev.gantry.app;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.head;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import dev.gantry.oci.MediaTypes;
import dev.gantry.testing.Awaits;
import dev.gantry.testing.GantryServer;
import dev.gantry.testing.Http;
import dev.gantry.testing.MutableClock;
import dev.gantry.testing.TestImage;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** /metrics and /v2/_gantry/status move as requests are served. */
class MetricsAndStatusTest {

    @TempDir
    Path tmp;

    private WireMockServer upstream;
    private GantryServer gantry;
    private Http http;
    private final MutableClock clock = MutableClock.startingNow();
    private final TestImage image = TestImage.builder().seed(1).layer(50_000).build();

    @BeforeEach
    void start() {
        upstream = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        upstream.start();
        var manifest = aResponse().withHeader("Content-Type", MediaTypes.OCI_MANIFEST)
                .withHeader("Docker-Content-Digest", image.digest().toString())
                .withHeader("ratelimit-limit", "200;w=21600").withHeader("ratelimit-remaining", "150;w=21600")
                .withBody(image.manifest().bytes());
        upstream.stubFor(get(urlPathEqualTo("/v2/library/app/manifests/1")).willReturn(manifest));
        upstream.stubFor(head(urlPathEqualTo("/v2/library/app/manifests/1")).willReturn(manifest));
        for (TestImage.Blob b : image.blobs()) {
            upstream.stubFor(get(urlPathEqualTo("/v2/library/app/blobs/" + b.digest())).willReturn(aResponse().withBody(b.bytes())));
        }
        gantry = GantryServer.start("upstreams:\n  - name: docker.io\n    url: " + upstream.baseUrl() + "\n    default: true\n"
                + "prefetch: {mode: \"off\"}\n", tmp.resolve("data"), clock);
        http = new Http(gantry.url());
    }

    @AfterEach
    void stop() {
        gantry.close();
        upstream.stop();
    }

    @Test
    void metricsCountRequestsCacheOutcomesAndUpstreamRequestsByKind() {
        http.get("/v2/app/manifests/1", "Accept", MediaTypes.OCI_MANIFEST);
        http.get("/v2/app/manifests/1", "Accept", MediaTypes.OCI_MANIFEST);
        http.get("/v2/app/blobs/" + image.config().digest());
        http.get("/v2/app/blobs/" + image.config().digest());
        clock.advance(Duration.ofSeconds(61));
        http.get("/v2/app/manifests/1", "Accept", MediaTypes.OCI_MANIFEST);
        http.get("/v2/Bad/manifests/1");

        Http.Response r = http.get("/metrics");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("Content-Type")).startsWith("text/plain");
        String text = r.text();
        assertThat(text)
                .contains("gantry_http_requests_total{method=\"GET\",route=\"manifest\",status=\"200\"} 3.0")
                .contains("gantry_http_requests_total{method=\"GET\",route=\"manifest\",status=\"400\"} 1.0")
                .contains("gantry_cache_requests_total{kind=\"manifest\",outcome=\"miss\"} 1.0")
                .contains("gantry_cache_requests_total{kind=\"manifest\",outcome=\"hit\"} 1.0")
                .contains("gantry_cache_requests_total{kind=\"manifest\",outcome=\"revalidated\"} 1.0")
                .contains("gantry_cache_requests_total{kind=\"blob\",outcome=\"hit\"} 1.0")
                .contains("gantry_upstream_requests_total{kind=\"manifest_get\",status=\"200\",upstream=\"docker.io\"} 1.0")
                .contains("gantry_upstream_requests_total{kind=\"manifest_head\",status=\"200\",upstream=\"docker.io\"} 1.0")
                .contains("gantry_upstream_requests_total{kind=\"blob_get\",status=\"200\",upstream=\"docker.io\"} 1.0")
                .contains("gantry_upstream_ratelimit_remaining{upstream=\"docker.io\"} 150.0")
                .contains("gantry_fills_total{result=\"committed\",source=\"upstream\"} 1.0")
                .contains("gantry_http_request_duration_seconds_bucket{route=\"blob\"")
                .contains("gantry_tier_bytes{tier=\"disk\"}");
    }

    @Test
    void statusShowsUpstreamsWithTheirRateLimitsTiersAndFills() throws Exception {
        http.get("/v2/app/manifests/1", "Accept", MediaTypes.OCI_MANIFEST);
        http.get("/v2/app/blobs/" + image.config().digest());
        Http.Response r = http.get("/v2/_gantry/status");
        assertThat(r.status()).isEqualTo(200);
        JsonNode status = new ObjectMapper().readTree(r.body());
        JsonNode hub = status.path("upstreams").path(0);
        assertThat(hub.path("name").asText()).isEqualTo("docker.io");
        assertThat(hub.path("default").asBoolean()).isTrue();
        assertThat(hub.path("rateLimit").path("limit").asLong()).isEqualTo(200);
        assertThat(hub.path("rateLimit").path("remaining").asLong()).isEqualTo(150);
        assertThat(hub.path("rateLimit").path("windowSeconds").asLong()).isEqualTo(21600);
        assertThat(hub.path("rateLimit").path("backingOff").asBoolean()).isFalse();
        assertThat(status.path("tiers").path("disk").path("usedBytes").asLong()).isEqualTo(image.config().bytes().length);
        assertThat(status.path("tiers").path("disk").path("maxBytes").asLong()).isEqualTo(20L << 30);
        assertThat(status.path("tiers").path("memory").has("hitRatio")).isTrue();
        assertThat(status.path("fillsInFlight").asInt()).isZero();
        assertThat(status.path("prefetch").path("mode").asText()).isEqualTo("off");
    }

    @Test
    void metricsCarryJvmAndProcessSeriesAndEveryKnownCounterFromTheStart() {
        String text = http.get("/metrics").text();
        assertThat(text)
                .contains("jvm_memory_used_bytes{area=\"heap\"}")
                .contains("jvm_threads_current ")
                .contains("jvm_gc_collection_seconds_count{")
                .contains("process_cpu_seconds_total ")
                .contains("process_open_fds ")
                .contains("process_resident_memory_bytes ")
                // Nothing has been requested yet, and yet the series exist, at zero.
                .contains("gantry_cache_requests_total{kind=\"blob\",outcome=\"hit\"} 0.0")
                .contains("gantry_tier_reads_total{result=\"hit\",tier=\"disk\"} 0.0")
                .contains("gantry_fills_total{result=\"failed\",source=\"upstream\"} 0.0")
                .contains("gantry_scans_total{result=\"complete\"} 0.0")
                .contains("gantry_prefetch_total{result=\"wasted\"} 0.0")
                .contains("gantry_evictions_total{tier=\"disk\"} 0.0")
                .contains("gantry_upstream_requests_total{kind=\"manifest_get\",status=\"200\",upstream=\"docker.io\"} 0.0");
    }

    @Test
    void statusShowsTheVersionAndTheScanQueue() throws Exception {
        JsonNode status = new ObjectMapper().readTree(http.get("/v2/_gantry/status").body());
        assertThat(status.path("version").asText()).isEqualTo(BuildInfo.current().version());
        assertThat(status.path("commit").asText()).isEqualTo(BuildInfo.current().commit());
        JsonNode scans = status.path("scans");
        assertThat(scans.path("queued").isInt()).as(scans.toString()).isTrue();
        assertThat(scans.path("running").isInt()).as(scans.toString()).isTrue();
        assertThat(scans.path("queueCapacity").asInt()).isEqualTo(512);
        assertThat(scans.path("finished").path("complete").isNumber()).as(scans.toString()).isTrue();
    }

    @Test
    void aBlobServedFromMemoryCountsAsADiskTierHitToo() throws Exception {
        // First read: a miss in every tier (filled from upstream); then the memory tier answers.
        http.get("/v2/app/blobs/" + image.config().digest());
        // The blob enters the memory tier just after its commit: wait for that (status reads no blob).
        Awaits.until(() -> statusTiers().path("memory").path("usedBytes").asLong(), used -> used > 0, Duration.ofSeconds(10));
        http.get("/v2/app/blobs/" + image.config().digest());
        http.get("/v2/app/blobs/" + image.config().digest());
        JsonNode tiers = new ObjectMapper().readTree(http.get("/v2/_gantry/status").body()).path("tiers");
        assertThat(tiers.path("memory").path("hitRatio").asDouble()).as(tiers.toString()).isEqualTo(2.0 / 3);
        assertThat(tiers.path("memory").path("servedRatio").asDouble()).isEqualTo(2.0 / 3);
        assertThat(tiers.path("disk").path("hitRatio").asDouble()).as("memory or disk answered 2 of 3 reads")
                .isEqualTo(2.0 / 3);
        assertThat(tiers.path("disk").path("servedRatio").asDouble()).as("disk itself answered none").isEqualTo(0.0);
    }

    @Test
    void bytesAnsweredFromTheCacheCountAsSavedUpstream() throws Exception {
        http.get("/v2/app/blobs/" + image.config().digest()); // a miss: the upstream sent it
        assertThat(new ObjectMapper().readTree(http.get("/v2/_gantry/status").body()).path("savedUpstreamBytes").asLong()).isZero();
        http.get("/v2/app/blobs/" + image.config().digest());
        http.get("/v2/app/blobs/" + image.config().digest());
        JsonNode status = new ObjectMapper().readTree(http.get("/v2/_gantry/status").body());
        assertThat(status.path("savedUpstreamBytes").asLong()).isEqualTo(2L * image.config().bytes().length);
        assertThat(http.get("/metrics").text()).contains("gantry_cache_served_bytes_total " + (2.0 * image.config().bytes().length));
    }

    @Test
    void statusHistoryAnswersForTheLastHourAndRefusesOtherWindows() throws Exception {
        Http.Response r = http.get("/v2/_gantry/status?history=1h");
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        JsonNode history = new ObjectMapper().readTree(r.body());
        assertThat(history.path("intervalSeconds").asInt()).isEqualTo(10);
        assertThat(history.path("samples").isArray()).isTrue();
        for (String bad : new String[] {"2h", "0s", "soon", "99999999999999999999h"}) {
            Http.Response refused = http.get("/v2/_gantry/status?history=" + bad);
            assertThat(refused.status()).as(bad).isEqualTo(400);
            assertThat(refused.text()).contains("UNSUPPORTED");
        }
    }

    private JsonNode statusTiers() {
        try {
            return new ObjectMapper().readTree(http.get("/v2/_gantry/status").body()).path("tiers");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
