package dev.gantry.conformance;

import static dev.gantry.conformance.ConformanceSteps.blobPath;
import static dev.gantry.conformance.ConformanceSteps.uploadsPath;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.conformance.ConformanceClient.Response;
import dev.gantry.conformance.ConformanceData.Blob;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cross-repository mounts as today's clients drive them: with a named source
 * ({@code from=}) and without one (the registry may find the blob itself),
 * with Basic credentials and with tokens whose scopes may or may not cover
 * the source. The user may push but not pull under {@code local/sealed-}, so
 * a mount can be refused by the access rules as well as by a narrow token.
 */
class MountEdgeCasesTest {

    @TempDir
    static Path tmp;

    static HostedGantry gantry;
    static ConformanceClient client;
    static final ConformanceData data = new ConformanceData();
    static final AtomicInteger repos = new AtomicInteger();

    @BeforeAll
    static void start() {
        gantry = HostedGantry.start(tmp, "", """
                  rules:
                    - prefix: local/sealed-
                      users: ["*"]
                      actions: [push]
                """);
        client = gantry.client();
    }

    @AfterAll
    static void stop() {
        gantry.close();
    }

    private static String newRepository(String kind) {
        return "local/" + kind + "-" + repos.incrementAndGet();
    }

    /** A fresh blob pushed to {@code repo}: no other repository holds it. */
    private static Blob pushed(String repo) {
        Blob blob = Blob.of("mount " + repo + " " + System.nanoTime());
        Response r = ConformanceSteps.postPut(client.basicOnChallenge(), repo, blob);
        assertThat(r.status()).as(r.describe()).isEqualTo(201);
        return blob;
    }

    private static Response mount(ConformanceClient c, String target, Blob blob, String from) {
        ConformanceClient.Request r = c.request("POST", uploadsPath(target)).query("mount", blob.digest());
        if (from != null) {
            r.query("from", from);
        }
        return r.send();
    }

    private static void assertMounted(Response mount, String target, Blob blob) {
        assertThat(mount.status()).as(mount.describe()).isEqualTo(201);
        assertThat(mount.relativeLocation()).isEqualTo(blobPath(target, blob.digest()));
        assertThat(mount.header("Docker-Content-Digest")).isEqualTo(blob.digest());
        assertThat(client.request("GET", blobPath(target, blob.digest())).send().body()).isEqualTo(blob.bytes());
    }

    private static void assertUploadStarted(Response mount, String target, Blob blob) {
        assertThat(mount.status()).as(mount.describe()).isEqualTo(202);
        assertThat(mount.relativeLocation()).startsWith(uploadsPath(target));
        assertThat(client.request("GET", blobPath(target, blob.digest())).send().status()).as("nothing was linked").isEqualTo(404);
    }

    @Test
    void aMountWithoutFromLinksTheBlobFromARepositoryTheUserMayRead() {
        String source = newRepository("open");
        String target = newRepository("open");
        Blob blob = pushed(source);

        Response mount = mount(client.basicOnChallenge(), target, blob, null);

        assertMounted(mount, target, blob);
    }

    @Test
    void aMountWithoutFromUsesATokenOnlyForTheRepositoriesItCovers() {
        String source = newRepository("open");
        String target = newRepository("open");
        Blob blob = pushed(source);

        Response narrow = mount(client.withAuthScope("repository:" + target + ":pull,push"), target, blob, null);

        assertUploadStarted(narrow, target, blob);
        assertMounted(mount(client.withAuthScope("repository:" + target + ":pull,push repository:" + source + ":pull"),
                target, blob, null), target, blob);
    }

    @Test
    void aMountWithoutFromNeverLinksFromARepositoryTheUserMayNotRead() {
        String sealed = newRepository("sealed");
        String target = newRepository("open");
        Blob blob = pushed(sealed);

        Response mount = mount(client.basicOnChallenge(), target, blob, null);

        assertUploadStarted(mount, target, blob);
    }

    @Test
    void aMountWithoutFromOfABlobNoRepositoryHoldsStartsAnUpload() {
        String target = newRepository("open");

        Response mount = mount(client.basicOnChallenge(), target, Blob.of("held nowhere " + System.nanoTime()), null);

        assertThat(mount.status()).as(mount.describe()).isEqualTo(202);
        assertThat(mount.relativeLocation()).startsWith(uploadsPath(target));
    }

    @Test
    void aTokenWithoutPullOnTheSourceIsChallengedForBothScopes() {
        String source = newRepository("open");
        String target = newRepository("open");
        Blob blob = pushed(source);
        ConformanceClient narrow = client.withAuthScope("repository:" + target + ":pull,push");

        Response mount = mount(narrow, target, blob, source);

        assertThat(mount.status()).as(mount.describe()).isEqualTo(401);
        assertThat(narrow.transcript()).last().asString().endsWith("-> 401 [Bearer]");
        String scope = "repository:" + target + ":pull,push repository:" + source + ":pull";
        assertThat(mount.header("WWW-Authenticate")).startsWith("Bearer realm=").endsWith(",scope=\"" + scope + "\"");
        assertThat(mount.json().path("errors").path(0).path("code").asText()).isEqualTo("UNAUTHORIZED");
        assertMounted(mount(client.withAuthScope(scope), target, blob, source), target, blob);
    }

    @Test
    void theChallengeDoesNotDependOnWhetherTheSourceHoldsTheBlob() {
        String source = newRepository("open");
        String target = newRepository("open");
        pushed(source);

        Response mount = mount(client.withAuthScope("repository:" + target + ":pull,push"), target,
                Blob.of("not in the source " + System.nanoTime()), source);

        assertThat(mount.status()).as(mount.describe()).isEqualTo(401);
        assertThat(mount.header("WWW-Authenticate")).contains(" repository:" + source + ":pull\"");
    }

    @Test
    void aSourceTheUserMayNotReadMeansAnUploadNotAChallenge() {
        String sealed = newRepository("sealed");
        String target = newRepository("open");
        Blob blob = pushed(sealed);

        Response byToken = mount(client.withAuthScope("repository:" + target + ":pull,push"), target, blob, sealed);
        Response byBasic = mount(client.basicOnChallenge(), target, blob, sealed);

        assertUploadStarted(byToken, target, blob);
        assertUploadStarted(byBasic, target, blob);
    }
}
