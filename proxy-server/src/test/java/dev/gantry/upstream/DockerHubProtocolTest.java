package dev.gantry.upstream;

import static com.github.tomakehurst.wiremock.client.WireMock.absent;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.head;
import static com.github.tomakehurst.wiremock.client.WireMock.headRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.MappingBuilder;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.gantry.oci.Digest;
import dev.gantry.oci.MediaTypes;
import dev.gantry.testing.GantryServer;
import dev.gantry.testing.Http;
import dev.gantry.testing.MutableClock;
import dev.gantry.testing.TestImage;
import dev.gantry.testing.Trees;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a real registry cannot be made to do on cue, played by WireMock:
 * Docker Hub's token protocol, its rate-limit headers and 429s, redirects of
 * blobs to storage on another host.
 */
class DockerHubProtocolTest {

    private static final String USER = "hubuser";
    private static final String PASSWORD = "hub-s3cret-token";

    @TempDir
    Path tmp;

    private WireMockServer hub;
    private WireMockServer storage;
    private MutableClock clock;
    private GantryServer gantry;
    private Http http;
    private TestImage image;

    @BeforeEach
    void start() {
        hub = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        storage = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        hub.start();
        storage.start();
        clock = MutableClock.startingNow();
        image = TestImage.builder().seed(1).layer(20_000).build();
    }

    @AfterEach
    void stop() {
        if (gantry != null) {
            gantry.close();
        }
        hub.stop();
        storage.stop();
    }

    private void startGantry(boolean withCredentials) {
        String creds = withCredentials ? "    username: " + USER + "\n    password: ${GANTRY_TEST_PW:-" + PASSWORD + "}\n    private: false\n" : "";
        gantry = GantryServer.start("upstreams:\n  - name: docker.io\n    url: " + hub.baseUrl() + "\n    default: true\n" + creds,
                tmp.resolve("data"), clock);
        http = new Http(gantry.url());
    }

    /** Docker Hub: every registry call without a valid token is a 401 naming realm, service and scope. */
    private void requireBearer(String repo, String token) {
        String challenge = "Bearer realm=\"" + hub.baseUrl() + "/token\",service=\"registry.test\",scope=\"repository:" + repo + ":pull\"";
        for (MappingBuilder m : List.of(get(urlPathMatching("/v2/" + repo + "/.*")), head(urlPathMatching("/v2/" + repo + "/.*")))) {
            hub.stubFor(m.atPriority(1).withHeader("Authorization", absent())
                    .willReturn(aResponse().withStatus(401).withHeader("WWW-Authenticate", challenge)
                            .withBody("{\"errors\":[{\"code\":\"UNAUTHORIZED\"}]}")));
        }
        hub.stubFor(get(urlPathEqualTo("/token")).withQueryParam("scope", equalTo("repository:" + repo + ":pull"))
                .willReturn(aResponse().withHeader("Content-Type", "application/json")
                        .withBody("{\"token\":\"" + token + "\",\"expires_in\":300}")));
    }

    private void serveImage(String repo, String tag, String token) {
        String auth = "Bearer " + token;
        hub.stubFor(get(urlPathEqualTo("/v2/" + repo + "/manifests/" + tag)).atPriority(5).withHeader("Authorization", equalTo(auth))
                .willReturn(manifest()));
        hub.stubFor(head(urlPathEqualTo("/v2/" + repo + "/manifests/" + tag)).atPriority(5).withHeader("Authorization", equalTo(auth))
                .willReturn(manifest()));
        for (TestImage.Blob b : image.blobs()) {
            hub.stubFor(get(urlPathEqualTo("/v2/" + repo + "/blobs/" + b.digest())).atPriority(5).withHeader("Authorization", equalTo(auth))
                    .willReturn(aResponse().withBody(b.bytes())));
        }
    }

    private com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder manifest() {
        return aResponse().withHeader("Content-Type", MediaTypes.OCI_MANIFEST)
                .withHeader("Docker-Content-Digest", image.digest().toString())
                .withHeader("ratelimit-limit", "100;w=21600").withHeader("ratelimit-remaining", "76;w=21600")
                .withBody(image.manifest().bytes());
    }

    @Test
    void bearerTokenIsFetchedForTheChallengedScopeWithTheConfiguredCredentials() {
        requireBearer("library/alpine", "tok-1");
        serveImage("library/alpine", "3", "tok-1");
        startGantry(true);

        Http.Response r = http.get("/v2/alpine/manifests/3", "Accept", MediaTypes.OCI_MANIFEST);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo(image.manifest().bytes());

        List<LoggedRequest> tokenCalls = hub.findAll(getRequestedFor(urlPathEqualTo("/token")));
        assertThat(tokenCalls).hasSize(1);
        assertThat(tokenCalls.get(0).queryParameter("service").firstValue()).isEqualTo("registry.test");
        String basic = "Basic " + Base64.getEncoder().encodeToString((USER + ":" + PASSWORD).getBytes(StandardCharsets.UTF_8));
        assertThat(tokenCalls.get(0).getHeader("Authorization")).isEqualTo(basic);
        hub.verify(getRequestedFor(urlPathEqualTo("/v2/library/alpine/manifests/3")).withHeader("Authorization", equalTo("Bearer tok-1")));
    }

    @Test
    void theTokenIsReusedUntilItExpires() {
        requireBearer("library/alpine", "tok-1");
        serveImage("library/alpine", "3", "tok-1");
        startGantry(true);

        http.get("/v2/alpine/manifests/3", "Accept", MediaTypes.OCI_MANIFEST);
        for (TestImage.Blob b : image.blobs()) {
            assertThat(http.get("/v2/alpine/blobs/" + b.digest()).status()).isEqualTo(200);
        }
        assertThat(hub.findAll(getRequestedFor(urlPathEqualTo("/token")))).hasSize(1);
        assertThat(hub.findAll(getRequestedFor(urlPathMatching("/v2/library/alpine/blobs/.*")).withHeader("Authorization", absent())))
                .as("blob requests after the first token need no 401 round trip").isEmpty();

        clock.advance(Duration.ofSeconds(301));
        assertThat(http.get("/v2/alpine/manifests/3", "Accept", MediaTypes.OCI_MANIFEST).status()).isEqualTo(200);
        assertThat(hub.findAll(getRequestedFor(urlPathEqualTo("/token")))).as("expired token replaced").hasSize(2);
    }

    @Test
    void anonymousUpstreamGetsNoCredentials() {
        requireBearer("library/alpine", "anon");
        serveImage("library/alpine", "3", "anon");
        startGantry(false);

        assertThat(http.get("/v2/alpine/manifests/3", "Accept", MediaTypes.OCI_MANIFEST).status()).isEqualTo(200);
        assertThat(hub.findAll(getRequestedFor(urlPathEqualTo("/token"))).get(0).getHeader("Authorization")).isNull();
    }

    @Test
    void blobRedirectedToAnotherHostIsFetchedWithoutTheAuthorizationHeader() {
        requireBearer("library/alpine", "tok-1");
        serveImage("library/alpine", "3", "tok-1");
        TestImage.Blob layer = image.layers().get(0);
        hub.stubFor(get(urlPathEqualTo("/v2/library/alpine/blobs/" + layer.digest())).atPriority(2)
                .withHeader("Authorization", equalTo("Bearer tok-1"))
                .willReturn(aResponse().withStatus(307).withHeader("Location", storage.baseUrl() + "/cdn/" + layer.digest().hex() + "?sig=abc")));
        storage.stubFor(get(urlPathMatching("/cdn/.*")).willReturn(aResponse().withBody(layer.bytes())));
        startGantry(true);

        http.get("/v2/alpine/manifests/3", "Accept", MediaTypes.OCI_MANIFEST);
        Http.Response blob = http.get("/v2/alpine/blobs/" + layer.digest());
        assertThat(blob.status()).isEqualTo(200);
        assertThat(Digest.sha256(blob.body())).isEqualTo(layer.digest());

        List<LoggedRequest> atStorage = storage.findAll(getRequestedFor(urlPathMatching("/cdn/.*")));
        assertThat(atStorage).hasSize(1);
        assertThat(atStorage.get(0).getHeader("Authorization")).as("credentials leaked to the redirect target").isNull();
        assertThat(atStorage.get(0).queryParameter("sig").firstValue()).isEqualTo("abc");
    }

    @Test
    void rateLimitHeadersAreRecordedPerUpstream() {
        requireBearer("library/alpine", "tok-1");
        serveImage("library/alpine", "3", "tok-1");
        startGantry(false);

        http.get("/v2/alpine/manifests/3", "Accept", MediaTypes.OCI_MANIFEST);
        RateLimitState.Snapshot s = gantry.gantry().upstreams().get(0).rateLimit().snapshot();
        assertThat(s.limit()).isEqualTo(100);
        assertThat(s.remaining()).isEqualTo(76);
        assertThat(s.window()).isEqualTo(Duration.ofHours(6));
    }

    @Test
    void a429ServesTheLastGoodManifestStaleAndThenLeavesUpstreamAloneUntilRetryAfter() {
        requireBearer("library/alpine", "tok-1");
        serveImage("library/alpine", "3", "tok-1");
        startGantry(false);
        assertThat(http.get("/v2/alpine/manifests/3", "Accept", MediaTypes.OCI_MANIFEST).status()).isEqualTo(200);

        hub.stubFor(head(urlPathEqualTo("/v2/library/alpine/manifests/3")).atPriority(3)
                .willReturn(aResponse().withStatus(429).withHeader("Retry-After", "300")
                        .withBody("{\"errors\":[{\"code\":\"TOOMANYREQUESTS\",\"message\":\"You have reached your pull rate limit\"}]}")));
        clock.advance(Duration.ofSeconds(61));
        Http.Response stale = http.get("/v2/alpine/manifests/3", "Accept", MediaTypes.OCI_MANIFEST);
        assertThat(stale.status()).isEqualTo(200);
        assertThat(stale.body()).isEqualTo(image.manifest().bytes());
        assertThat(stale.header("X-Gantry-Stale")).isEqualTo("rate-limited");
        int asked = hub.findAll(headRequestedFor(urlPathEqualTo("/v2/library/alpine/manifests/3"))).size();

        clock.advance(Duration.ofSeconds(61));
        assertThat(http.get("/v2/alpine/manifests/3", "Accept", MediaTypes.OCI_MANIFEST).header("X-Gantry-Stale")).isEqualTo("rate-limited");
        assertThat(hub.findAll(headRequestedFor(urlPathEqualTo("/v2/library/alpine/manifests/3"))))
                .as("no upstream request while Retry-After runs").hasSize(asked);

        clock.advance(Duration.ofSeconds(300));
        hub.resetRequests();
        http.get("/v2/alpine/manifests/3", "Accept", MediaTypes.OCI_MANIFEST);
        assertThat(hub.findAll(headRequestedFor(urlPathEqualTo("/v2/library/alpine/manifests/3")))).as("asks again after Retry-After").isNotEmpty();
    }

    @Test
    void a429WithNothingCachedIsTooManyRequestsWithRetryAfter() {
        hub.stubFor(get(urlPathMatching("/v2/.*")).willReturn(aResponse().withStatus(429).withHeader("Retry-After", "42")));
        startGantry(false);
        Http.Response r = http.get("/v2/alpine/manifests/3", "Accept", MediaTypes.OCI_MANIFEST);
        assertThat(r.status()).isEqualTo(429);
        assertThat(r.text()).contains("TOOMANYREQUESTS");
        assertThat(Long.parseLong(r.header("Retry-After"))).isBetween(1L, 42L);
    }

    @Test
    void whileRetryAfterRunsATagThatIsNotCachedIsNotAskedUpstreamAndGetsTooManyRequests() {
        requireBearer("library/alpine", "tok-1");
        serveImage("library/alpine", "3", "tok-1");
        hub.stubFor(get(urlPathEqualTo("/v2/library/alpine/manifests/4")).atPriority(3)
                .willReturn(aResponse().withStatus(429).withHeader("Retry-After", "300")
                        .withBody("{\"errors\":[{\"code\":\"TOOMANYREQUESTS\",\"message\":\"You have reached your pull rate limit\"}]}")));
        startGantry(false);
        assertThat(http.get("/v2/alpine/manifests/4", "Accept", MediaTypes.OCI_MANIFEST).status()).as("the hub's own 429").isEqualTo(429);
        int asked = hub.getAllServeEvents().size();

        Http.Response uncached = http.get("/v2/alpine/manifests/3", "Accept", MediaTypes.OCI_MANIFEST);
        assertThat(uncached.status()).isEqualTo(429);
        assertThat(uncached.text()).contains("TOOMANYREQUESTS").contains("not cached");
        assertThat(Long.parseLong(uncached.header("Retry-After"))).isBetween(290L, 300L);
        Http.Response blob = http.get("/v2/alpine/blobs/" + image.layers().get(0).digest());
        assertThat(blob.status()).isEqualTo(429);
        assertThat(blob.text()).contains("TOOMANYREQUESTS");
        assertThat(hub.getAllServeEvents()).as("no upstream request, token included, while Retry-After runs").hasSize(asked);

        clock.advance(Duration.ofSeconds(301));
        assertThat(http.get("/v2/alpine/manifests/3", "Accept", MediaTypes.OCI_MANIFEST).status()).as("asks again after Retry-After").isEqualTo(200);
        assertThat(hub.getAllServeEvents().size()).isGreaterThan(asked);
    }

    /** A 503's Retry-After holds the retry too: no request reaches the upstream before it ends (real clock here). */
    @Test
    void aServerErrorIsRetriedOnlyOnceItsRetryAfterHasPassed() {
        hub.stubFor(get(urlPathEqualTo("/v2/library/alpine/manifests/4")).inScenario("busy").whenScenarioStateIs(Scenario.STARTED)
                .willReturn(aResponse().withStatus(503).withHeader("Retry-After", "1")).willSetStateTo("ready"));
        hub.stubFor(get(urlPathEqualTo("/v2/library/alpine/manifests/4")).inScenario("busy").whenScenarioStateIs("ready")
                .willReturn(manifest()));
        gantry = GantryServer.start("upstreams:\n  - name: docker.io\n    url: " + hub.baseUrl() + "\n    default: true\n",
                tmp.resolve("data"), java.time.Clock.systemUTC());
        http = new Http(gantry.url());

        assertThat(http.get("/v2/alpine/manifests/4", "Accept", MediaTypes.OCI_MANIFEST).status()).isEqualTo(200);

        List<LoggedRequest> asked = hub.findAll(getRequestedFor(urlPathEqualTo("/v2/library/alpine/manifests/4")));
        assertThat(asked).hasSize(2);
        long apart = Math.abs(asked.get(1).getLoggedDate().getTime() - asked.get(0).getLoggedDate().getTime());
        assertThat(apart).as("ms between the 503 and the retry").isGreaterThanOrEqualTo(950);
    }

    @Test
    void serverErrorsAreRetriedBeforeGivingUp() {
        hub.stubFor(get(urlPathEqualTo("/v2/library/alpine/manifests/3")).inScenario("flaky").whenScenarioStateIs(Scenario.STARTED)
                .willReturn(aResponse().withStatus(503)).willSetStateTo("second"));
        hub.stubFor(get(urlPathEqualTo("/v2/library/alpine/manifests/3")).inScenario("flaky").whenScenarioStateIs("second")
                .willReturn(aResponse().withStatus(502)).willSetStateTo("third"));
        hub.stubFor(get(urlPathEqualTo("/v2/library/alpine/manifests/3")).inScenario("flaky").whenScenarioStateIs("third")
                .willReturn(manifest()));
        startGantry(false);
        assertThat(http.get("/v2/alpine/manifests/3", "Accept", MediaTypes.OCI_MANIFEST).status()).isEqualTo(200);
        assertThat(hub.findAll(getRequestedFor(urlPathEqualTo("/v2/library/alpine/manifests/3")))).hasSize(3);
    }

    @Test
    void aManifestOverFourMebibytesIsRefusedWithAnOciError() {
        byte[] huge = ("{\"schemaVersion\":2,\"annotations\":{\"x\":\"" + "a".repeat(5 << 20) + "\"}}").getBytes(StandardCharsets.UTF_8);
        hub.stubFor(get(urlPathEqualTo("/v2/library/big/manifests/1")).willReturn(aResponse()
                .withHeader("Content-Type", MediaTypes.OCI_MANIFEST).withBody(huge)));
        startGantry(false);
        Http.Response r = http.get("/v2/big/manifests/1", "Accept", MediaTypes.OCI_MANIFEST);
        assertThat(r.status()).isEqualTo(502);
        assertThat(r.text()).contains("MANIFEST_INVALID").contains("limit");
        assertThat(http.get("/healthz").status()).isEqualTo(200);
    }

    @Test
    void aManifestThatDoesNotMatchItsAnnouncedDigestIsNotCached() throws Exception {
        hub.stubFor(get(urlPathEqualTo("/v2/library/liar/manifests/1")).willReturn(aResponse()
                .withHeader("Content-Type", MediaTypes.OCI_MANIFEST)
                .withHeader("Docker-Content-Digest", "sha256:" + "0".repeat(64))
                .withBody(image.manifest().bytes())));
        startGantry(false);
        Http.Response r = http.get("/v2/liar/manifests/1", "Accept", MediaTypes.OCI_MANIFEST);
        assertThat(r.status()).isEqualTo(502);
        assertThat(r.text()).contains("MANIFEST_INVALID");
        assertThat(Trees.paths(tmp.resolve("data"))).noneMatch(p -> p.toString().contains("/manifests/"));
    }
}
