package dev.gantry.it.clients;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.testing.DockerDaemon;
import dev.gantry.testing.TestImage;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The Docker daemon with Gantry as its {@code registry-mirrors} entry. Docker
 * mirrors Docker Hub names only, so Gantry's default upstream is the
 * Distribution registry and images are pulled by Hub-style names. The
 * fallback to Docker Hub itself cannot connect here: a pull that succeeds
 * came through Gantry.
 */
class DockerDaemonIT extends MirrorClientContract {

    private DockerDaemon docker;

    @Override
    void startClient(Path dir) {
        docker = DockerDaemon.start(dir, List.of(gantry.url()), List.of(gantry.hostPort(), upstream.hostPort()));
    }

    @Override
    void stopClient() {
        if (docker != null) {
            docker.close();
        }
    }

    @Override
    Pulled pullThroughMirror(String repository, String tag) {
        docker.dockerOk("pull", repository + ":" + tag);
        return pulled(repository + ":" + tag, repository);
    }

    @Override
    Pulled pullDirect(String repository, String tag) {
        String name = upstream.hostPort() + "/" + repository;
        docker.dockerOk("pull", name + ":" + tag);
        return pulled(name + ":" + tag, name);
    }

    /** Docker keeps the digest it pulled by as a repository digest, {@code name@sha256:...}. */
    private Pulled pulled(String reference, String name) {
        DockerDaemon.Image image = docker.inspect(reference);
        List<String> digests = image.repoDigests().stream().filter(d -> d.startsWith(name + "@"))
                .map(d -> d.substring(name.length() + 1)).toList();
        assertThat(digests).as("repository digests of %s: %s", reference, image.repoDigests()).hasSize(1);
        return new Pulled(reference, digests.get(0), image.id());
    }

    @Override
    void forget(Pulled pulled) {
        docker.dockerOk("rmi", "--force", pulled.config());
    }

    @Test
    void singleNameIsAnOfficialImageUnderLibrary() {
        TestImage image = Schema.DOCKER.image(nextSeed(), HOST_ARCHITECTURE).layer(10_000).build();
        push("library/gantry-it", "3", image);

        Pulled pulled = pullThroughMirror("gantry-it", "3");

        assertThat(pulled.digest()).isEqualTo(image.digest().toString());
        assertPulledThroughGantry("library/gantry-it", "3", image);
        forget(pulled);
    }
}
