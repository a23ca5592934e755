package dev.gantry.it.clients;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.oci.Digest;
import dev.gantry.testing.DistributionRegistry;
import dev.gantry.testing.DockerDaemon;
import dev.gantry.testing.GantryServer;
import dev.gantry.testing.HtpasswdFile;
import dev.gantry.testing.Http;
import dev.gantry.testing.MutableClock;
import dev.gantry.testing.Pusher;
import dev.gantry.testing.TestImage;
import dev.gantry.testing.Tools;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real clients pushing to hosted repositories: {@code docker login},
 * {@code docker push} and {@code docker pull} through a Docker daemon, and
 * {@code skopeo copy --all} of a multi-platform index in and out, digests
 * unchanged. Anonymous pushes are refused.
 */
class HostedClientsIT {

    private static final String PASSWORD = "alice-Push-9";
    private static final Duration TIMEOUT = Duration.ofMinutes(3);

    @TempDir
    static Path tmp;

    static DistributionRegistry upstream;
    static GantryServer gantry;
    static DockerDaemon docker;

    @BeforeAll
    static void start() {
        upstream = DistributionRegistry.start(tmp.resolve("upstream"));
        Path htpasswd = HtpasswdFile.write(tmp.resolve("htpasswd"), Map.of("alice", PASSWORD));
        gantry = GantryServer.start("upstreams:\n  - name: docker.io\n    url: " + upstream.url() + "\n    default: true\n"
                + "hosted:\n  - prefix: local/\nauth:\n  htpasswd: " + htpasswd + "\n"
                + "storage:\n  disk:\n    path: " + tmp.resolve("gantry") + "\n", tmp, MutableClock.startingNow());
        docker = DockerDaemon.start(tmp.resolve("docker"), List.of(gantry.url()), List.of(gantry.hostPort()));
    }

    @AfterAll
    static void stop() {
        if (docker != null) {
            docker.close();
        }
        gantry.close();
        upstream.close();
    }

    @Test
    void dockerLogsInPushesAndPullsAHostedImage() {
        TestImage base = TestImage.builder().seed(1).layer(400_000).layer(30_000).docker().build();
        new Pusher(upstream.url()).push("test/base", "1", base);
        docker.dockerOk("pull", "test/base:1");

        String hosted = gantry.hostPort() + "/local/app:1";
        docker.dockerOk("tag", "test/base:1", hosted);
        Tools.Result anonymous = docker.docker("push", hosted);
        assertThat(anonymous.exit()).as("anonymous push").isNotZero();
        assertThat(anonymous.stderr() + anonymous.stdout()).containsIgnoringCase("unauthorized");

        Tools.Result login = Tools.run(List.of(Tools.require("docker").toString(), "-H", "unix://" + tmp.resolve("docker/docker.sock").toAbsolutePath(),
                "login", gantry.hostPort(), "-u", "alice", "-p", PASSWORD), TIMEOUT);
        assertThat(login.exit()).as(login.stderr()).isZero();
        assertThat(login.stdout()).contains("Login Succeeded");
        Tools.Result wrong = docker.docker("login", gantry.hostPort(), "-u", "alice", "-p", "nope");
        assertThat(wrong.exit()).isNotZero();

        Tools.Result push = docker.dockerOk("push", hosted);
        Matcher m = Pattern.compile("digest: (sha256:[0-9a-f]{64})").matcher(push.stdout());
        assertThat(m.find()).as(push.stdout()).isTrue();
        String pushed = m.group(1);
        // The same layers to another repository: Docker mounts them (its token names both repositories).
        String copy = gantry.hostPort() + "/local/copy:1";
        docker.dockerOk("tag", hosted, copy);
        Tools.Result mounted = docker.dockerOk("push", copy);
        assertThat(mounted.stdout()).as(mounted.stdout()).contains("Mounted from local/app");
        docker.dockerOk("rmi", copy);

        docker.dockerOk("rmi", hosted, "test/base:1");
        docker.dockerOk("pull", hosted);
        assertThat(docker.inspect(hosted).repoDigests()).contains(gantry.hostPort() + "/local/app@" + pushed);
        assertThat(new Http(gantry.url()).get("/v2/local/app/manifests/1", "Accept",
                "application/vnd.docker.distribution.manifest.v2+json").header("Docker-Content-Digest"))
                .as("anonymous pull of the hosted image").isEqualTo(pushed);
        docker.docker("logout", gantry.hostPort());
    }

    @Test
    void skopeoCopiesAMultiPlatformIndexInAndOutWithDigestsUnchanged() throws Exception {
        Path skopeo = Tools.require("skopeo");
        TestImage amd = TestImage.builder().seed(2).platform("linux", "amd64").layer(200_000).build();
        TestImage arm = TestImage.builder().seed(3).platform("linux", "arm64").layer(200_000).build();
        TestImage.Index index = TestImage.Index.of(List.of(amd, arm), false);
        new Pusher(upstream.url()).push("test/multi", "1", index);

        Tools.runOk(List.of(skopeo.toString(), "copy", "--all", "--preserve-digests", "--src-tls-verify=false", "--dest-tls-verify=false",
                "--dest-creds", "alice:" + PASSWORD, "docker://" + upstream.hostPort() + "/test/multi:1",
                "docker://" + gantry.hostPort() + "/local/multi:1"), TIMEOUT);
        Tools.Result raw = Tools.runOk(List.of(skopeo.toString(), "inspect", "--raw", "--tls-verify=false",
                "docker://" + gantry.hostPort() + "/local/multi:1"), TIMEOUT);
        assertThat(Digest.sha256(raw.stdout().getBytes(StandardCharsets.UTF_8))).isEqualTo(index.digest());

        Path out = tmp.resolve("back");
        Tools.runOk(List.of(skopeo.toString(), "copy", "--all", "--preserve-digests", "--src-tls-verify=false",
                "docker://" + gantry.hostPort() + "/local/multi:1", "dir:" + out), TIMEOUT);
        assertThat(Digest.sha256(Files.readAllBytes(out.resolve("manifest.json")))).isEqualTo(index.digest());
        for (TestImage img : List.of(amd, arm)) {
            for (TestImage.Blob b : img.blobs()) {
                assertThat(Digest.sha256(Files.readAllBytes(out.resolve(b.digest().hex())))).isEqualTo(b.digest());
            }
        }
        Tools.Result anonymous = Tools.run(List.of(skopeo.toString(), "copy", "--dest-tls-verify=false", "--src-tls-verify=false",
                "docker://" + upstream.hostPort() + "/test/multi:1", "docker://" + gantry.hostPort() + "/local/anon:1"), TIMEOUT);
        assertThat(anonymous.exit()).as("anonymous push").isNotZero();
    }
}
