package dev.gantry.conformance;

import static dev.gantry.conformance.ConformanceSteps.referrersPath;
import static dev.gantry.conformance.ConformanceSteps.uploadsPath;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.conformance.ConformanceClient.Response;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How the suite's client gets in: every request goes out anonymous first;
 * Gantry answers what needs credentials with 401 and a Bearer challenge whose
 * realm, service and scope lead to a token; the request is sent once more
 * with it. Pulls need no credentials (anonymous pull is on by default).
 */
class ConformanceAuthTest {

    static final String REPO = "local/auth";

    @TempDir
    static Path tmp;

    static HostedGantry gantry;

    @BeforeAll
    static void start() {
        gantry = HostedGantry.start(tmp);
    }

    @AfterAll
    static void stop() {
        gantry.close();
    }

    @Test
    void anAnonymousPushIs401WithABearerChallengeNamingTheRealmServiceAndScope() {
        Response r = gantry.client().anonymous().request("POST", uploadsPath(REPO)).send();

        assertThat(r.status()).isEqualTo(401);
        assertThat(r.header("WWW-Authenticate")).isEqualTo("Bearer realm=\"" + gantry.url() + "/token\",service=\"gantry\","
                + "scope=\"repository:" + REPO + ":pull,push\"");
        assertThat(r.json().path("errors").path(0).path("code").asText()).isEqualTo("UNAUTHORIZED");
    }

    @Test
    void theSuitesClientFetchesATokenFromTheRealmAndRetriesOnce() {
        ConformanceClient client = gantry.client();

        Response r = client.request("POST", uploadsPath(REPO)).send();

        assertThat(r.status()).as(r.describe()).isEqualTo(202);
        assertThat(client.transcript()).containsExactly(
                "POST " + uploadsPath(REPO) + " -> 401",
                "POST " + uploadsPath(REPO) + " -> 202 [Bearer]");
    }

    @Test
    void basicCredentialsAnsweringTheChallengeAreAcceptedToo() {
        ConformanceClient client = gantry.client().basicOnChallenge();

        Response r = client.request("POST", uploadsPath(REPO)).send();

        assertThat(r.status()).as(r.describe()).isEqualTo(202);
        assertThat(client.transcript()).containsExactly(
                "POST " + uploadsPath(REPO) + " -> 401",
                "POST " + uploadsPath(REPO) + " -> 202 [Basic]");
    }

    @Test
    void pullingNeedsNoCredentials() {
        ConformanceClient client = gantry.client();

        String path = referrersPath(REPO, ConformanceData.DUMMY_DIGEST);

        Response r = client.request("GET", path).send();

        assertThat(r.status()).as(r.describe()).isEqualTo(200);
        assertThat(client.transcript()).containsExactly("GET " + path + " -> 200");
    }

    /**
     * With {@code OCI_AUTH_SCOPE} naming both repositories, the token also
     * grants pull on the mount's source, so the mount happens (201) instead of
     * falling back to an upload (202): the suite's U19 path through tokens.
     */
    @Test
    void aTokenScopedToBothRepositoriesMountsTheBlob() {
        String source = "local/auth-source";
        String target = "local/auth-target";
        ConformanceClient client = gantry.client().withAuthScope(
                "repository:" + source + ":pull,push repository:" + target + ":pull,push");
        ConformanceData.Blob blob = new ConformanceData().testBlobA;
        assertThat(ConformanceSteps.postPut(client, source, blob).status()).isEqualTo(201);

        Response mount = client.request("POST", uploadsPath(target)).query("mount", blob.digest()).query("from", source).send();

        assertThat(mount.status()).as(mount.describe()).isEqualTo(201);
        assertThat(mount.relativeLocation()).isEqualTo("/v2/" + target + "/blobs/" + blob.digest());
        assertThat(client.transcript()).last().asString().endsWith("-> 201 [Bearer]");
    }
}
