package dev.gantry.it.clients;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.testing.AccessLogRecorder.Entry;
import dev.gantry.testing.Podman;
import dev.gantry.testing.TestImage;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Podman with a {@code registries.conf} that keeps {@code docker.io} as the
 * location of {@code docker.io} and adds Gantry as an insecure mirror: once
 * as a plain {@code host:port}, once with a path ({@code host:port/docker.io}),
 * which Gantry must route by its path prefix.
 */
class PodmanIT extends MirrorClientContract {

    private Podman podman;
    private Path registriesConf;
    private Path prefixedRegistriesConf;

    @Override
    void startClient(Path dir) {
        podman = Podman.create(dir);
        registriesConf = dir.resolve("registries.conf");
        Podman.writeMirror(registriesConf, "docker.io", "docker.io", gantry.hostPort());
        prefixedRegistriesConf = dir.resolve("registries-prefixed.conf");
        Podman.writeMirror(prefixedRegistriesConf, "docker.io", "docker.io", gantry.hostPort() + "/docker.io");
    }

    @Override
    void stopClient() {
        if (podman != null) {
            podman.close();
        }
    }

    @Override
    Pulled pullThroughMirror(String repository, String tag) {
        return pull(registriesConf, "docker.io/" + repository + ":" + tag);
    }

    @Override
    Pulled pullDirect(String repository, String tag) {
        String reference = upstream.hostPort() + "/" + repository + ":" + tag;
        podman.podmanOk(registriesConf, "pull", "--tls-verify=false", reference);
        return pulled(reference);
    }

    private Pulled pull(Path conf, String reference) {
        podman.podmanOk(conf, "pull", reference);
        return pulled(reference);
    }

    private Pulled pulled(String reference) {
        Podman.Image image = podman.inspect(registriesConf, reference);
        return new Pulled(reference, image.digest(), "sha256:" + image.id());
    }

    @Override
    void forget(Pulled pulled) {
        podman.podmanOk(registriesConf, "rmi", "--force", pulled.config().substring("sha256:".length()));
    }

    @Test
    void mirrorLocationWithAPathIsRoutedByItsPathPrefix() {
        String repository = "it/prefixed";
        TestImage image = Schema.OCI.image(nextSeed(), HOST_ARCHITECTURE).layer(10_000).build();
        push(repository, "1", image);

        Pulled pulled = pull(prefixedRegistriesConf, "docker.io/" + repository + ":1");

        assertThat(pulled.digest()).isEqualTo(image.digest().toString());
        assertThat(pulled.config()).isEqualTo(image.config().digest().toString());
        assertPulledThroughGantry(repository, "1", image);
        List<Entry> requests = gantryLog.entries(e -> e.path().contains("/" + repository + "/"));
        assertThat(requests).as("Gantry's requests for %s", repository).isNotEmpty()
                .allSatisfy(e -> assertThat(e.path()).as("path of %s", e).startsWith("/v2/docker.io/" + repository + "/"));
        forget(pulled);
    }
}
