package dev.gantry.auth;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import dev.gantry.oci.MediaTypes;
import dev.gantry.testing.Awaits;
import dev.gantry.testing.GantryServer;
import dev.gantry.testing.HtpasswdFile;
import dev.gantry.testing.Http;
import dev.gantry.testing.MutableClock;
import dev.gantry.testing.TestImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Who may do what: anonymous push never, private upstream content never to
 * callers the rules do not allow, tokens that are bad, expired or for other
 * repositories refused, wrong passwords refused and rate-limited, and no
 * credential ever in a log line or an error body.
 */
class AccessControlTest {

    private static final String ALICE_PW = "alice-Secret-1";
    private static final String BOB_PW = "bob-Secret-2";
    private static final String UPSTREAM_PW = "upstream-Token-3";
    private static final String ACCEPT = MediaTypes.OCI_MANIFEST;

    @TempDir
    Path tmp;

    private WireMockServer privateHub;
    private GantryServer gantry;
    private Http http;
    private final MutableClock clock = MutableClock.startingNow();
    private final TestImage image = TestImage.builder().seed(1).layer(10_000).build();
    private ListAppender<ILoggingEvent> logs;

    @BeforeEach
    void start() {
        privateHub = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        privateHub.start();
        privateHub.stubFor(get(urlPathEqualTo("/v2/team/app/manifests/1")).willReturn(aResponse()
                .withHeader("Content-Type", MediaTypes.OCI_MANIFEST).withBody(image.manifest().bytes())));
        for (TestImage.Blob b : image.blobs()) {
            privateHub.stubFor(get(urlPathEqualTo("/v2/team/app/blobs/" + b.digest())).willReturn(aResponse().withBody(b.bytes())));
        }
        Path htpasswd = HtpasswdFile.write(tmp.resolve("htpasswd"), Map.of("alice", ALICE_PW, "bob", BOB_PW));
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        logs = new ListAppender<>();
        logs.start();
        root.addAppender(logs);
        gantry = GantryServer.start("""
                upstreams:
                  - name: private.example
                    url: %s
                    username: robot
                    password: %s
                hosted:
                  - prefix: local/
                auth:
                  htpasswd: %s
                  tokenTtl: 5m
                  maxFailedLogins: 5
                  rules:
                    - {prefix: private.example/, users: [alice], actions: [pull]}
                    - {prefix: local/readonly/, users: ["*"], actions: [pull]}
                prefetch: {mode: "off"}
                """.formatted(privateHub.baseUrl(), UPSTREAM_PW, htpasswd), tmp.resolve("data"), clock);
        http = new Http(gantry.url());
    }

    @AfterEach
    void stop() {
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(logs);
        gantry.close();
        privateHub.stop();
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    private String token(String authorization, String scope) throws Exception {
        Http.Response r = authorization == null
                ? http.get("/token?service=gantry&scope=" + scope)
                : http.get("/token?service=gantry&scope=" + scope, "Authorization", authorization);
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        assertThat(r.header("Cache-Control")).as("a credential: no cache keeps it").isEqualTo("no-store");
        JsonNode body = new ObjectMapper().readTree(r.body());
        assertThat(body.path("expires_in").asLong()).isEqualTo(300);
        return body.path("token").asText();
    }

    private Http.Response pushStart(String repo, String... headers) {
        return http.send("POST", "/v2/" + repo + "/blobs/uploads/", headers);
    }

    @Test
    void anonymousPushIsRefusedWithAChallenge() {
        Http.Response r = pushStart("local/app");
        assertThat(r.status()).isEqualTo(401);
        assertThat(r.text()).contains("UNAUTHORIZED");
        assertThat(r.header("WWW-Authenticate")).startsWith("Bearer realm=\"http://").contains("/token\"")
                .contains("service=\"gantry\"").contains("scope=\"repository:local/app:pull,push\"");
        assertThat(http.send("PUT", "/v2/local/app/manifests/1").status()).isEqualTo(401);
        assertThat(http.send("DELETE", "/v2/local/app/manifests/1").status()).isEqualTo(401);
    }

    @Test
    void askingForMoreScopesThanATokenCanCarryIsAClearRefusalNotAnUnusableToken() throws Exception {
        // 200 short scopes fit the 8 KiB request line, but granting them all would take a token
        // longer than a request's headers may be.
        StringBuilder scopes = new StringBuilder();
        for (int i = 0; i < 200; i++) {
            scopes.append(i == 0 ? "" : "%20").append("repository:local/a").append(i).append(":pull");
        }
        Http.Response r = http.get("/token?service=gantry&scope=" + scopes);
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.text()).contains("DENIED").contains("200 scopes").contains("ask for fewer repositories");
        // A handful of the same scopes is still granted.
        assertThat(token(null, "repository:local/a1:pull")).isNotEmpty();
    }

    @Test
    void anAnonymousTokenGrantsNoPush() throws Exception {
        String t = token(null, "repository:local/app:pull,push");
        Http.Response r = pushStart("local/app", "Authorization", "Bearer " + t);
        assertThat(r.status()).isEqualTo(401);
    }

    @Test
    void anAuthenticatedUserMayPushToAHostedNamespace() throws Exception {
        assertThat(pushStart("local/app", "Authorization", basic("alice", ALICE_PW)).status()).isEqualTo(202);
        String t = token(basic("bob", BOB_PW), "repository:local/app:pull,push");
        assertThat(pushStart("local/app", "Authorization", "Bearer " + t).status()).isEqualTo(202);
        Http.Response ro = pushStart("local/readonly/app", "Authorization", basic("bob", BOB_PW));
        assertThat(ro.status()).as("a rule grants only pull there").isEqualTo(403);
        assertThat(ro.text()).contains("DENIED").contains("bob");
    }

    @Test
    void privateUpstreamContentIsNeverServedToCallersTheRulesDoNotAllow() throws Exception {
        Http.Response alice = http.get("/v2/private.example/team/app/manifests/1", "Accept", ACCEPT, "Authorization", basic("alice", ALICE_PW));
        assertThat(alice.status()).isEqualTo(200);
        String layer = "/v2/private.example/team/app/blobs/" + image.layers().get(0).digest();
        assertThat(http.get(layer, "Authorization", basic("alice", ALICE_PW)).status()).isEqualTo(200);
        // Alice's pull starts background work (the layer's scan, then the image's hardware document,
        // which reads the config): let it finish, so what reaches upstream below is the callers' doing.
        Awaits.until(() -> http.get("/v2/private.example/team/app/_gantry/hardware/1", "Authorization",
                basic("alice", ALICE_PW)).status() == 200, Duration.ofSeconds(60), "alice's image documented");
        Awaits.until(() -> gantry.gantry().registry().fillsInFlight() == 0, Duration.ofSeconds(30), "fills done");
        privateHub.resetRequests();

        Http.Response anonymous = http.get("/v2/private.example/team/app/manifests/1", "Accept", ACCEPT);
        assertThat(anonymous.status()).isEqualTo(401);
        assertThat(anonymous.text()).doesNotContain(new String(image.manifest().bytes(), StandardCharsets.UTF_8));
        assertThat(http.get(layer).status()).isEqualTo(401);

        Http.Response bob = http.get(layer, "Authorization", basic("bob", BOB_PW));
        assertThat(bob.status()).isEqualTo(403);
        assertThat(bob.text()).contains("DENIED");
        String bobToken = token(basic("bob", BOB_PW), "repository:private.example/team/app:pull");
        assertThat(http.get(layer, "Authorization", "Bearer " + bobToken).status()).isEqualTo(403);
        assertThat(privateHub.findAll(getRequestedFor(urlPathMatching(".*")))).as("refusals never reach upstream").isEmpty();

        String aliceToken = token(basic("alice", ALICE_PW), "repository:private.example/team/app:pull");
        assertThat(http.get(layer, "Authorization", "Bearer " + aliceToken).status()).isEqualTo(200);
    }

    @Test
    void aTokenForAUserNoMatchingRuleNamesGrantsNothingThere() throws Exception {
        String bobToken = token(basic("bob", BOB_PW), "repository:private.example/team/app:pull");
        JsonNode claims = new ObjectMapper().readTree(Base64.getUrlDecoder().decode(bobToken.split("\\.")[1]));
        assertThat(claims.path("sub").asText()).isEqualTo("bob");
        assertThat(claims.path("access").path(0).path("name").asText()).isEqualTo("private.example/team/app");
        assertThat(claims.path("access").path(0).path("actions")).as("no pull: the rule names only alice").isEmpty();
        String aliceToken = token(basic("alice", ALICE_PW), "repository:private.example/team/app:pull");
        JsonNode alice = new ObjectMapper().readTree(Base64.getUrlDecoder().decode(aliceToken.split("\\.")[1]));
        assertThat(alice.path("access").path(0).path("actions").toString()).isEqualTo("[\"pull\"]");
    }

    @Test
    void theConsolesTokenPullsWhereTheRulesLetItsUserPullAndNeverPushesOrAdministersWithoutARule() throws Exception {
        String layer = "/v2/private.example/team/app/blobs/" + image.layers().get(0).digest();
        String alice = token(basic("alice", ALICE_PW), "registry:*:pull");
        JsonNode claims = new ObjectMapper().readTree(Base64.getUrlDecoder().decode(alice.split("\\.")[1]));
        JsonNode grant = claims.path("access").path(0);
        assertThat(claims.path("access").size()).isEqualTo(1);
        assertThat(grant.path("type").asText() + ":" + grant.path("name").asText() + ":" + grant.path("actions")).isEqualTo("registry:*:[\"pull\"]");
        assertThat(http.get(layer, "Authorization", "Bearer " + alice).status()).isEqualTo(200);

        String bob = token(basic("bob", BOB_PW), "registry:*:pull,push,delete,admin");
        JsonNode bobClaims = new ObjectMapper().readTree(Base64.getUrlDecoder().decode(bob.split("\\.")[1]));
        assertThat(bobClaims.path("access").path(0).path("actions").toString()).as("no rule gives bob admin").isEqualTo("[\"pull\"]");
        assertThat(http.get(layer, "Authorization", "Bearer " + bob).status()).as("no rule lets bob pull there").isEqualTo(403);
        assertThat(pushStart("local/app", "Authorization", "Bearer " + bob).status()).as("push is never in it").isEqualTo(403);
        String anonymous = token(null, "registry:*:pull");
        assertThat(http.get(layer, "Authorization", "Bearer " + anonymous).status()).isEqualTo(401);
    }

    @Test
    void privateUpstreamContentIsNeverMountedIntoAHostedRepository() throws Exception {
        String digest = image.layers().get(0).digest().toString();
        assertThat(http.get("/v2/private.example/team/app/blobs/" + digest, "Authorization", basic("alice", ALICE_PW)).status())
                .as("cached for alice").isEqualTo(200);
        String aliceToken = token(basic("alice", ALICE_PW),
                "repository:local/app:pull,push&scope=repository:private.example/team/app:pull");

        for (String auth : new String[] {basic("alice", ALICE_PW), "Bearer " + aliceToken}) {
            Http.Response named = http.send("POST", "/v2/local/app/blobs/uploads/?mount=" + digest + "&from=private.example/team/app",
                    "Authorization", auth);
            Http.Response unnamed = http.send("POST", "/v2/local/app/blobs/uploads/?mount=" + digest, "Authorization", auth);

            assertThat(named.status()).as("an upload starts, no challenge: " + named.text()).isEqualTo(202);
            assertThat(unnamed.status()).as(unnamed.text()).isEqualTo(202);
        }
        assertThat(http.get("/v2/local/app/blobs/" + digest, "Authorization", basic("alice", ALICE_PW)).status()).isEqualTo(404);
    }

    @Test
    void theTokenResponsesIssuedAtReadsTheServersClock() throws Exception {
        clock.advance(Duration.ofHours(3)); // the server's clock is now three hours ahead of the wall clock
        Http.Response r = http.get("/token?service=gantry&scope=repository:local/app:pull", "Authorization",
                basic("alice", ALICE_PW));
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        Instant issued = Instant.parse(new ObjectMapper().readTree(r.body()).path("issued_at").asText());
        assertThat(issued).isEqualTo(clock.instant());
    }

    @Test
    void tamperedExpiredAndForeignTokensAreRefused() throws Exception {
        String t = token(basic("alice", ALICE_PW), "repository:local/app:pull,push");
        assertThat(pushStart("local/app", "Authorization", "Bearer " + t).status()).isEqualTo(202);

        String[] parts = t.split("\\.");
        String forged = parts[0] + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(
                new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8)
                        .replace("local/app", "local/other").getBytes(StandardCharsets.UTF_8)) + "." + parts[2];
        assertThat(pushStart("local/other", "Authorization", "Bearer " + forged).status()).as("tampered").isEqualTo(401);
        assertThat(pushStart("local/other", "Authorization", "Bearer " + t).status()).as("for another repository").isEqualTo(403);
        assertThat(pushStart("local/app", "Authorization", "Bearer not.a.token").status()).isEqualTo(401);

        clock.advance(Duration.ofMinutes(6));
        Http.Response expired = pushStart("local/app", "Authorization", "Bearer " + t);
        assertThat(expired.status()).isEqualTo(401);
        assertThat(expired.text()).contains("invalid or expired");
    }

    @Test
    void wrongPasswordsAreRefusedAndThenRateLimited() {
        for (int i = 0; i < 5; i++) {
            Http.Response r = http.get("/token?service=gantry&scope=repository:local/app:pull", "Authorization", basic("alice", "guess" + i));
            assertThat(r.status()).isEqualTo(401);
            assertThat(r.text()).doesNotContain("guess" + i);
        }
        Http.Response limited = http.get("/token?service=gantry", "Authorization", basic("alice", ALICE_PW));
        assertThat(limited.status()).as("even the right password, for a minute").isEqualTo(429);
        assertThat(limited.header("Retry-After")).isEqualTo("60");
        clock.advance(Duration.ofSeconds(61));
        assertThat(http.get("/token?service=gantry", "Authorization", basic("alice", ALICE_PW)).status()).isEqualTo(200);
    }

    @Test
    void dockerLoginSeesAChallengeAtTheBaseAndSucceedsWithAToken() throws Exception {
        Http.Response base = http.get("/v2/");
        assertThat(base.status()).isEqualTo(401);
        assertThat(base.header("WWW-Authenticate")).startsWith("Bearer realm=");
        assertThat(http.get("/v2/", "Authorization", basic("alice", "wrong")).status()).isEqualTo(401);
        String t = token(basic("alice", ALICE_PW), "repository:local/app:pull");
        assertThat(http.get("/v2/", "Authorization", "Bearer " + t).status()).isEqualTo(200);
        assertThat(http.get("/v2/", "Authorization", basic("alice", ALICE_PW)).status()).isEqualTo(200);
    }

    @Test
    void noCredentialEverReachesALogLine() throws Exception {
        http.get("/v2/private.example/team/app/manifests/1", "Accept", ACCEPT, "Authorization", basic("alice", ALICE_PW));
        http.get("/token?service=gantry&scope=repository:local/app:pull", "Authorization", basic("bob", "wrong-Secret"));
        String t = token(basic("bob", BOB_PW), "repository:local/app:push");
        pushStart("local/app", "Authorization", "Bearer " + t);
        // Lines are appended from server threads while this reads: wait for the access line, then
        // read a copy taken under the appender's lock.
        List<ILoggingEvent> events = Awaits.until(() -> {
            synchronized (logs) {
                return new ArrayList<>(logs.list);
            }
        }, copy -> copy.stream().anyMatch(e -> e.getFormattedMessage().contains("/v2/private.example/team/app/manifests/1 200")),
                Duration.ofSeconds(5));
        for (ILoggingEvent e : events) {
            String line = e.getFormattedMessage() + (e.getThrowableProxy() == null ? "" : e.getThrowableProxy().getMessage());
            assertThat(line).doesNotContain(ALICE_PW).doesNotContain(BOB_PW).doesNotContain("wrong-Secret")
                    .doesNotContain(UPSTREAM_PW).doesNotContain(t).doesNotContain("robot:");
        }
        assertThat(events).anyMatch(e -> e.getFormattedMessage().contains("/v2/private.example/team/app/manifests/1 200"));
    }
}
