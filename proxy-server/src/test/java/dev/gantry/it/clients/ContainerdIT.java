package dev.gantry.it.clients;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gantry.testing.AccessLogRecorder.Entry;
import dev.gantry.testing.Containerd;
import dev.gantry.testing.TestImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * containerd with a {@code hosts.toml} that makes Gantry the mirror of
 * {@code docker.io}; containerd names the registry it means with
 * {@code ?ns=docker.io} on every mirror request. Images are pulled with
 * {@code ctr images pull}, which also unpacks them (so every layer's content
 * is checked against the config's diff ids).
 */
class ContainerdIT extends MirrorClientContract {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Containerd containerd;
    private Path hostsDir;

    @Override
    void startClient(Path dir) {
        containerd = Containerd.start(dir);
        hostsDir = dir.resolve("hosts");
        Containerd.writeMirror(hostsDir, "docker.io", "https://registry-1.docker.io", gantry.url());
    }

    @Override
    void stopClient() {
        if (containerd != null) {
            containerd.close();
        }
    }

    @Override
    Pulled pullThroughMirror(String repository, String tag) {
        String reference = "docker.io/" + repository + ":" + tag;
        containerd.pull(reference, "--hosts-dir", hostsDir.toString());
        return pulled(reference);
    }

    @Override
    Pulled pullDirect(String repository, String tag) {
        String reference = upstream.hostPort() + "/" + repository + ":" + tag;
        containerd.pull(reference, "--plain-http");
        return pulled(reference);
    }

    private Pulled pulled(String reference) {
        String digest = containerd.imageDigest(reference);
        return new Pulled(reference, digest, configOf(digest));
    }

    /** The config of the image containerd took: through an index, the one platform manifest it fetched. */
    private String configOf(String manifestDigest) {
        JsonNode manifest = json(containerd.contentText(manifestDigest));
        if (!manifest.has("manifests")) {
            return manifest.path("config").path("digest").asText();
        }
        Set<String> content = containerd.content();
        List<String> fetched = new ArrayList<>();
        manifest.path("manifests").forEach(m -> {
            if (content.contains(m.path("digest").asText())) {
                fetched.add(m.path("digest").asText());
            }
        });
        assertThat(fetched).as("platform manifests of %s in the content store", manifestDigest).hasSize(1);
        return configOf(fetched.get(0));
    }

    private static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    void forget(Pulled pulled) {
        containerd.remove(pulled.reference());
    }

    @Test
    void everyMirrorRequestNamesTheRegistryWithNs() {
        String repository = "it/ns";
        TestImage image = Schema.OCI.image(nextSeed(), HOST_ARCHITECTURE).layer(10_000).build();
        push(repository, "1", image);

        Pulled pulled = pullThroughMirror(repository, "1");

        assertPulledThroughGantry(repository, "1", image);
        List<Entry> requests = gantryLog.entries(e -> e.path().contains("/" + repository + "/"));
        assertThat(requests).as("Gantry's requests for %s", repository).isNotEmpty()
                .allSatisfy(e -> assertThat(e.ns()).as("ns of %s", e).isEqualTo("docker.io"))
                .allSatisfy(e -> assertThat(e.path()).as("path of %s", e).startsWith("/v2/" + repository + "/"));
        forget(pulled);
    }
}
