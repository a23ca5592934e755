package dev.gantry.auth;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import dev.gantry.oci.MediaTypes;
import dev.gantry.testing.GantryServer;
import dev.gantry.testing.HtpasswdFile;
import dev.gantry.testing.Http;
import dev.gantry.testing.MutableClock;
import dev.gantry.testing.TestImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replicas behind one balancer: a token one issues is honoured by another
 * that lists the same key file in {@code auth.tokenKeys}, and refused by a
 * server that generated its own key.
 */
class SharedTokenKeyTest {

    private static final String ALICE_PW = "alice-Secret-1";
    private static final String REPO = "mirror.example/team/app";

    @TempDir
    Path tmp;

    private final MutableClock clock = MutableClock.startingNow();
    private final TestImage image = TestImage.builder().seed(7).layer(5_000).build();
    private WireMockServer upstream;
    private Path htpasswd;

    @BeforeEach
    void start() {
        // WireMock stands in for the upstream only: what is under test is the two Gantry servers.
        upstream = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        upstream.start();
        upstream.stubFor(get(urlPathEqualTo("/v2/team/app/manifests/1")).willReturn(aResponse()
                .withHeader("Content-Type", MediaTypes.OCI_MANIFEST).withBody(image.manifest().bytes())));
        for (TestImage.Blob b : image.blobs()) {
            upstream.stubFor(get(urlPathEqualTo("/v2/team/app/blobs/" + b.digest())).willReturn(aResponse().withBody(b.bytes())));
        }
        htpasswd = HtpasswdFile.write(tmp.resolve("htpasswd"), Map.of("alice", ALICE_PW));
    }

    @AfterEach
    void stop() {
        upstream.stop();
    }

    private GantryServer replica(String name, Path... tokenKeys) {
        String keys = tokenKeys.length == 0 ? "" : "  tokenKeys: [" + Arrays.stream(tokenKeys).map(Path::toString).collect(Collectors.joining(", ")) + "]\n";
        return GantryServer.start("""
                upstreams:
                  - name: mirror.example
                    url: %s
                auth:
                  htpasswd: %s
                  anonymousPull: false
                %sprefetch: {mode: "off"}
                """.formatted(upstream.baseUrl(), htpasswd, keys), tmp.resolve(name), clock);
    }

    private static String token(GantryServer issuer) throws Exception {
        String basic = "Basic " + Base64.getEncoder().encodeToString(("alice:" + ALICE_PW).getBytes(StandardCharsets.UTF_8));
        Http.Response r = new Http(issuer.url()).get("/token?service=gantry&scope=repository:" + REPO + ":pull", "Authorization", basic);
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        return new ObjectMapper().readTree(r.body()).path("token").asText();
    }

    private static Http.Response pullManifest(GantryServer server, String token) {
        return new Http(server.url()).get("/v2/" + REPO + "/manifests/1", "Accept", MediaTypes.OCI_MANIFEST, "Authorization", "Bearer " + token);
    }

    @Test
    void aTokenFromOneReplicaPullsFromAnotherSharingTheKeyFiles() throws Exception {
        Path key = tmp.resolve("secret/token-key.pem");
        TokenKeys.generatedAt(key);
        try (GantryServer a = replica("a", key); GantryServer b = replica("b", key); GantryServer alone = replica("alone")) {
            String fromA = token(a);
            Http.Response manifest = pullManifest(b, fromA);
            assertThat(manifest.status()).as(manifest.text()).isEqualTo(200);
            assertThat(manifest.body()).isEqualTo(image.manifest().bytes());
            TestImage.Blob layer = image.layers().get(0);
            Http.Response blob = new Http(b.url()).get("/v2/" + REPO + "/blobs/" + layer.digest(), "Authorization", "Bearer " + fromA);
            assertThat(blob.status()).isEqualTo(200);
            assertThat(blob.body()).isEqualTo(layer.bytes());
            assertThat(pullManifest(a, token(b)).status()).isEqualTo(200);

            Http.Response refused = pullManifest(alone, fromA);
            assertThat(refused.status()).as("a server with its own generated key").isEqualTo(401);
            assertThat(refused.text()).contains("UNAUTHORIZED");
        }
    }

    @Test
    void duringRotationReplicasOnEitherSideOfTheRollAcceptEachOthersTokens() throws Exception {
        Path old = tmp.resolve("secret/old.pem");
        Path next = tmp.resolve("secret/new.pem");
        TokenKeys.generatedAt(old);
        TokenKeys.generatedAt(next);
        try (GantryServer rolled = replica("rolled", next, old); GantryServer notYet = replica("not-yet", old, next)) {
            assertThat(pullManifest(notYet, token(rolled)).status()).isEqualTo(200);
            assertThat(pullManifest(rolled, token(notYet)).status()).isEqualTo(200);
        }
        String fromOld;
        try (GantryServer oldOnly = replica("old-only", old)) {
            fromOld = token(oldOnly);
        }
        try (GantryServer dropped = replica("dropped", next)) {
            assertThat(pullManifest(dropped, fromOld).status()).as("the old key is no longer listed").isEqualTo(401);
        }
    }
}
