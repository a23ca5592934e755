package dev.gantry.it.clients;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gantry.oci.Digest;
import dev.gantry.testing.TestImage;
import dev.gantry.testing.Tools;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * skopeo copying from Gantry (named explicitly, {@code docker://GANTRY/repo:tag},
 * so served by its default upstream) into {@code dir:} directories, which keep
 * manifests byte for byte ({@code oci:} would convert Docker manifests, and
 * {@code --preserve-digests} makes any conversion an error). Every copy goes
 * to a new directory, so each one fetches every blob it needs.
 */
class SkopeoIT extends MirrorClientContract {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration COPY_TIMEOUT = Duration.ofMinutes(2);

    private Path skopeo;
    private Path copiesDir;
    private int copies;

    @Override
    void startClient(Path dir) {
        skopeo = Tools.require("skopeo");
        try {
            copiesDir = Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    void stopClient() {
        // Nothing runs between copies.
    }

    @Override
    Pulled pullThroughMirror(String repository, String tag) {
        return copy(gantry.hostPort() + "/" + repository + ":" + tag);
    }

    @Override
    Pulled pullDirect(String repository, String tag) {
        return copy(upstream.hostPort() + "/" + repository + ":" + tag);
    }

    /** Without {@code --all} skopeo copies the host's platform of an index, and keeps that manifest. */
    @Override
    String digestRecordedForIndex(TestImage.Index index, TestImage hostPlatform) {
        return hostPlatform.digest().toString();
    }

    @Override
    void forget(Pulled pulled) {
        // The next copy goes to a new directory anyway.
    }

    /** Copies {@code docker://source} to a new directory; the digest is that of the manifest it kept. */
    private Pulled copy(String source, String... options) {
        Path dir = copiesDir.resolve("copy-" + (++copies));
        List<String> command = new ArrayList<>(List.of(skopeo.toString(), "copy", "--src-tls-verify=false",
                "--preserve-digests"));
        command.addAll(List.of(options));
        command.add("docker://" + source);
        command.add("dir:" + dir);
        Tools.run(command, COPY_TIMEOUT).orFail(command);
        try {
            byte[] manifest = Files.readAllBytes(dir.resolve("manifest.json"));
            JsonNode parsed = JSON.readTree(manifest);
            String config = parsed.has("config") ? parsed.path("config").path("digest").asText() : null;
            return new Pulled(dir.toString(), Digest.sha256(manifest).toString(), config);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A blob of a {@code dir:} copy: named by the digest's hex. */
    private static byte[] blob(Path dir, TestImage.Blob blob) throws IOException {
        return Files.readAllBytes(dir.resolve(blob.digest().hex()));
    }

    /** Every blob of {@code image} in the copy, with the bytes its digest names; its manifest as it was pushed. */
    private static void assertHoldsImage(Path dir, TestImage image) throws IOException {
        assertThat(Files.readAllBytes(dir.resolve(image.digest().hex() + ".manifest.json")))
                .as("manifest of %s", image.digest()).isEqualTo(image.manifest().bytes());
        for (TestImage.Blob b : image.blobs()) {
            assertThat(Digest.sha256(blob(dir, b))).as("blob %s", b.digest()).isEqualTo(b.digest());
        }
    }

    @Test
    void copyAllKeepsTheIndexAndEveryPlatform() throws IOException {
        String repository = "it/all";
        TestImage amd = Schema.OCI.image(nextSeed(), "amd64").layer(20_000).build();
        TestImage arm = Schema.OCI.image(nextSeed(), "arm64").layer(20_000).build();
        TestImage.Index index = TestImage.Index.of(List.of(amd, arm), false);
        push(repository, "1", index);

        Pulled pulled = copy(gantry.hostPort() + "/" + repository + ":1", "--all");

        assertThat(pulled.digest()).as("digest of the copied index").isEqualTo(index.digest().toString());
        Path dir = Path.of(pulled.reference());
        assertThat(Files.readAllBytes(dir.resolve("manifest.json"))).as("index bytes").isEqualTo(index.manifest().bytes());
        assertHoldsImage(dir, amd);
        assertHoldsImage(dir, arm);
        assertPulledThroughGantry(repository, "1", amd);
        assertPulledThroughGantry(repository, "1", arm);
    }

    @Test
    void inspectRawShowsTheManifestBytesOfTheUpstream() {
        String repository = "it/raw";
        TestImage image = Schema.DOCKER.image(nextSeed(), HOST_ARCHITECTURE).layer(1_000).build();
        push(repository, "1", image);
        List<String> command = List.of(skopeo.toString(), "inspect", "--raw", "--tls-verify=false",
                "docker://" + gantry.hostPort() + "/" + repository + ":1");

        String raw = Tools.run(command, COPY_TIMEOUT).orFail(command).stdout();

        assertThat(raw).isEqualTo(new String(image.manifest().bytes(), StandardCharsets.UTF_8));
    }
}
