package dev.gantry.it.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gantry.cli.GantryCommand;
import dev.gantry.testing.Awaits;
import dev.gantry.testing.DistributionRegistry;
import dev.gantry.testing.GantryServer;
import dev.gantry.testing.HtpasswdFile;
import dev.gantry.testing.Http;
import dev.gantry.testing.MutableClock;
import dev.gantry.testing.Pusher;
import dev.gantry.testing.TestImage;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code gantry cache ls|rm|pin|unpin|warm} in-process (picocli) against a
 * running Gantry with users, mirroring a real upstream: the password comes
 * on standard input, never in the arguments.
 */
class CacheCommandIT {

    @TempDir
    Path tmp;

    private DistributionRegistry upstream;
    private GantryServer gantry;
    private InputStream stdin;

    /** What one command printed, and its exit status. */
    record Run(int exit, String out, String err) {
        JsonNode json() {
            try {
                return new ObjectMapper().readTree(out);
            } catch (Exception e) {
                throw new AssertionError("not JSON: " + out, e);
            }
        }
    }

    @BeforeEach
    void start() {
        stdin = System.in;
        upstream = DistributionRegistry.start(tmp.resolve("upstream"));
        Path htpasswd = HtpasswdFile.write(tmp.resolve("htpasswd"), AdminApiIT.PASSWORDS);
        gantry = GantryServer.start("upstreams:\n  - name: docker.io\n    url: " + upstream.url() + "\n    default: true\n"
                + "auth:\n  htpasswd: " + htpasswd + "\n  rules:\n    - {prefix: \"\", users: [ops], actions: [admin]}\n",
                tmp.resolve("gantry"), MutableClock.startingNow());
    }

    @AfterEach
    void stop() {
        System.setIn(stdin);
        gantry.close();
        upstream.close();
    }

    private Run gantry(String user, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--url", gantry.url()));
        if (user != null) {
            all.addAll(List.of("--user", user));
            System.setIn(new ByteArrayInputStream((AdminApiIT.PASSWORDS.get(user) + "\n").getBytes(StandardCharsets.UTF_8)));
        }
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = new CommandLine(new GantryCommand()).setOut(new PrintWriter(out)).setErr(new PrintWriter(err))
                .execute(all.toArray(String[]::new));
        return new Run(exit, out.toString(), err.toString());
    }

    private TestImage pushAndPull(String repo, String tag, long seed) {
        TestImage image = TestImage.builder().seed(seed).layer(100_000).layer(20_000).build();
        new Pusher(upstream.url()).push(repo, tag, image);
        Http http = new Http(gantry.url());
        assertThat(http.get("/v2/" + repo + "/manifests/" + tag, "Accept", AdminApiIT.ACCEPT_ALL).status()).isEqualTo(200);
        image.blobs().forEach(b -> assertThat(http.get("/v2/" + repo + "/blobs/" + b.digest()).status()).isEqualTo(200));
        return image;
    }

    private void awaitAnalysisAndWarming(String repo, String tag, String warmJob) {
        Http http = new Http(gantry.url());
        Http.Response doc = Awaits.until(() -> http.get("/v2/" + repo + "/_gantry/hardware/" + tag), r -> r.status() != 202,
                Duration.ofSeconds(60));
        assertThat(doc.status()).as(doc.text()).isEqualTo(200);
        String auth = AdminApiIT.basic("ops");
        Http.Response job = Awaits.until(() -> http.get(warmJob, "Authorization", auth),
                r -> r.status() != 200 || !r.text().contains("\"running\""), Duration.ofSeconds(30));
        assertThat(job.status()).as(job.text()).isEqualTo(200);
    }

    @Test
    void lsPrintsATableAndJson() {
        TestImage a = pushAndPull("test/a", "1", 1);
        pushAndPull("test/b", "2", 2);

        Run table = gantry("ops", "cache", "ls");
        assertThat(table.exit()).as(table.err()).isZero();
        String[] lines = table.out().split("\n");
        assertThat(lines[0]).startsWith("REPOSITORY").contains("TAGS", "SIZE", "CACHED", "LAST PULL", "PINNED");
        assertThat(lines[1]).startsWith("docker.io/test/a").contains(" 1 ");
        assertThat(lines[2]).startsWith("docker.io/test/b").contains(" 2 ");

        Run json = gantry("ops", "cache", "ls", "--json");
        assertThat(json.json().get("repositories")).hasSize(2);

        Run one = gantry("ops", "cache", "ls", "test/a");
        assertThat(one.exit()).as(one.err()).isZero();
        assertThat(one.out()).contains("docker.io/test/a (mirrored)").contains(a.digest().toString().substring(0, 19));
    }

    @Test
    void pinUnpinRmAndWarm() {
        TestImage a = pushAndPull("test/a", "1", 1);
        Run pin = gantry("ops", "cache", "pin", "test/a:1");
        assertThat(pin.exit()).as(pin.err()).isZero();
        assertThat(pin.out()).startsWith("pinned docker.io/test/a:1");
        // What the pull and the pin started in the background is over before the image is evicted: its hardware
        // analysis, and the pin's warming (either could read an evicted blob back from upstream).
        awaitAnalysisAndWarming("test/a", "1", pin.out().substring(pin.out().indexOf("warming it: ") + 12).trim());
        assertThat(gantry("ops", "cache", "pin").out()).contains("docker.io/test/a:1").contains("api");

        Run refused = gantry("ops", "cache", "rm", "test/a:1");
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.err()).contains("409").contains("pinned");

        assertThat(gantry("ops", "cache", "unpin", "test/a:1").out()).startsWith("unpinned docker.io/test/a:1");
        Run rm = gantry("ops", "cache", "rm", "test/a:1");
        assertThat(rm.exit()).as(rm.err()).isZero();
        assertThat(rm.out()).startsWith("evicted docker.io/test/a:1: 1 manifest(s), " + a.blobs().size() + " blob(s)");
        assertThat(a.blobs()).noneMatch(b -> gantry.gantry().disk().statNow(b.digest()).isPresent());

        Run warm = gantry("ops", "cache", "warm", "test/a:1", "--json");
        assertThat(warm.exit()).as(warm.err()).isZero();
        JsonNode job = warm.json();
        assertThat(job.get("state").asText()).isEqualTo("done");
        assertThat(job.get("blobs").get("done").asInt()).isEqualTo(a.blobs().size());
        assertThat(a.blobs()).allMatch(b -> gantry.gantry().disk().statNow(b.digest()).isPresent());

        Run repo = gantry("ops", "cache", "rm", "test/a");
        assertThat(repo.exit()).as(repo.err()).isZero();
        assertThat(repo.out()).startsWith("evicted docker.io/test/a:1");
    }

    @Test
    void refusalsAndFailuresAreOneLineOnStandardErrorWithExitStatusOne() {
        Run anonymous = gantry(null, "cache", "ls");
        assertThat(anonymous.exit()).isEqualTo(1);
        assertThat(anonymous.err()).contains("401").contains("--user");
        Run alice = gantry("alice", "cache", "ls");
        assertThat(alice.exit()).isEqualTo(1);
        assertThat(alice.err()).contains("403 DENIED");
        Run missing = gantry("ops", "cache", "warm", "test/none:1");
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.err()).contains("test/none:1");
        assertThat(String.join(" ", anonymous.err(), alice.err(), missing.err())).doesNotContain(AdminApiIT.PASSWORDS.get("alice"));
    }
}
