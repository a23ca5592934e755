package dev.gantry.http;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.head;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.gantry.oci.MediaTypes;
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

/**
 * {@code Docker-Content-Digest} on every manifest GET and HEAD of a mirrored
 * repository (the spec's main branch makes it required), even from an
 * upstream that never sends it: fetched, cached, by tag, by digest, and
 * served stale while the upstream refuses. The upstream is WireMock because
 * no real registry omits the header on purpose.
 */
class ManifestDigestHeaderTest {

    @TempDir
    Path tmp;

    private WireMockServer hub;
    private MutableClock clock;
    private GantryServer gantry;
    private Http http;
    private final TestImage image = TestImage.builder().seed(3).layer(1_000).build();

    @BeforeEach
    void start() {
        hub = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        hub.start();
        for (String ref : new String[] {"1", image.digest().toString()}) {
            var body = aResponse().withHeader("Content-Type", MediaTypes.OCI_MANIFEST).withBody(image.manifest().bytes());
            hub.stubFor(get(urlPathEqualTo("/v2/library/app/manifests/" + ref)).willReturn(body));
            hub.stubFor(head(urlPathEqualTo("/v2/library/app/manifests/" + ref)).willReturn(body));
        }
        clock = MutableClock.startingNow();
        gantry = GantryServer.start("upstreams:\n  - name: docker.io\n    url: " + hub.baseUrl() + "\n    default: true\n"
                + "cache:\n  tagTtl: 1m\nprefetch:\n  mode: off\n", tmp.resolve("data"), clock);
        http = new Http(gantry.url());
    }

    @AfterEach
    void stop() {
        gantry.close();
        hub.stop();
    }

    private void assertDigestHeader(Http.Response r) {
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("Docker-Content-Digest")).isEqualTo(image.digest().toString());
    }

    @Test
    void aMirroredManifestCarriesItsDigestOnGetAndHeadByTagAndByDigestWhenFetchedAndWhenCached() {
        for (int round = 0; round < 2; round++) {
            assertDigestHeader(http.get("/v2/app/manifests/1", "Accept", MediaTypes.OCI_MANIFEST));
            assertDigestHeader(http.head("/v2/app/manifests/1", "Accept", MediaTypes.OCI_MANIFEST));
            assertDigestHeader(http.get("/v2/app/manifests/" + image.digest(), "Accept", MediaTypes.OCI_MANIFEST));
            assertDigestHeader(http.head("/v2/app/manifests/" + image.digest(), "Accept", MediaTypes.OCI_MANIFEST));
        }
    }

    @Test
    void aManifestServedStaleWhileTheUpstreamRefusesStillCarriesItsDigest() {
        assertDigestHeader(http.get("/v2/app/manifests/1", "Accept", MediaTypes.OCI_MANIFEST));
        hub.resetAll();
        hub.stubFor(any(urlPathMatching("/v2/.*")).willReturn(aResponse().withStatus(429).withHeader("Retry-After", "300")
                .withBody("{\"errors\":[{\"code\":\"TOOMANYREQUESTS\",\"message\":\"slow down\"}]}")));
        clock.advance(Duration.ofMinutes(2));

        Http.Response get = http.get("/v2/app/manifests/1", "Accept", MediaTypes.OCI_MANIFEST);
        Http.Response headStale = http.head("/v2/app/manifests/1", "Accept", MediaTypes.OCI_MANIFEST);

        assertDigestHeader(get);
        assertThat(get.header("X-Gantry-Stale")).as("served stale").isNotNull();
        assertDigestHeader(headStale);
    }
}
