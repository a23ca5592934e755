package dev.gantry.it.clients;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.testing.DistributionRegistry;
import dev.gantry.testing.DockerDaemon;
import dev.gantry.testing.GantryServer;
import dev.gantry.testing.MutableClock;
import dev.gantry.testing.Pusher;
import dev.gantry.testing.TestImage;
import dev.gantry.testing.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tls: auto}: Gantry generates a CA and a server certificate; once the
 * CA is placed where Docker looks ({@code /etc/docker/certs.d/<host:port>/ca.crt}),
 * the Docker daemon pulls through Gantry over TLS, with verification on.
 */
class TlsDockerIT {

    @TempDir
    Path tmp;

    @Test
    void theDockerDaemonPullsOverTlsTrustingTheGeneratedCa() throws Exception {
        Tools.requireRoot();
        try (DistributionRegistry upstream = DistributionRegistry.start(tmp.resolve("upstream"))) {
            TestImage image = TestImage.builder().seed(1).layer(100_000).docker().build();
            new Pusher(upstream.url()).push("test/tls", "1", image);
            try (GantryServer gantry = GantryServer.start("upstreams:\n  - name: docker.io\n    url: " + upstream.url()
                    + "\n    default: true\ntls: auto\nstorage:\n  disk:\n    path: " + tmp.resolve("gantry") + "\n", tmp, MutableClock.startingNow())) {
                assertThat(gantry.url()).startsWith("https://");
                Path ca = tmp.resolve("gantry/tls/ca.crt");
                assertThat(Files.readString(ca)).contains("BEGIN CERTIFICATE");
                Path certsDir = Path.of("/etc/docker/certs.d", gantry.hostPort());
                Files.createDirectories(certsDir);
                Files.copy(ca, certsDir.resolve("ca.crt"));
                try (DockerDaemon docker = DockerDaemon.start(tmp.resolve("docker"), List.of(gantry.url()), List.of())) {
                    docker.dockerOk("pull", "test/tls:1");
                    assertThat(docker.inspect("test/tls:1").repoDigests()).contains("test/tls@" + image.digest());
                } finally {
                    Files.deleteIfExists(certsDir.resolve("ca.crt"));
                    Files.deleteIfExists(certsDir);
                }
            }
        }
    }
}
