package dev.gantry.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Podman with storage of its own (root, run root and libpod's tmpdir under
 * one directory, the vfs driver, no events). It has no daemon: each call is a
 * process. Registries come from a {@code registries.conf} passed per call
 * through {@code CONTAINERS_REGISTRIES_CONF}, so a test can pull through
 * differently configured mirrors with one store.
 */
public final class Podman implements AutoCloseable {

    private static final Duration COMMAND_TIMEOUT = Duration.ofMinutes(2);

    private final Path podman;
    private final Path dir;

    private Podman(Path podman, Path dir) {
        this.podman = podman;
        this.dir = dir;
    }

    public static Podman create(Path dir) {
        Tools.requireRoot();
        Path podman = Tools.require("podman");
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Podman(podman, dir.toAbsolutePath());
    }

    /**
     * Writes a {@code registries.conf} in which {@code prefix} keeps its own
     * {@code location} and has one insecure (plain HTTP) mirror, which may carry
     * a path ({@code 127.0.0.1:5000/docker.io}).
     */
    public static void writeMirror(Path file, String prefix, String location, String mirrorLocation) {
        try {
            Files.writeString(file, "unqualified-search-registries = []\n\n"
                    + "[[registry]]\n"
                    + "prefix = \"" + prefix + "\"\n"
                    + "location = \"" + location + "\"\n\n"
                    + "[[registry.mirror]]\n"
                    + "location = \"" + mirrorLocation + "\"\n"
                    + "insecure = true\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs podman on this store with {@code registriesConf}. */
    public Tools.Result podman(Path registriesConf, String... args) {
        List<String> command = new ArrayList<>(List.of(podman.toString(),
                "--root", dir.resolve("root").toString(),
                "--runroot", dir.resolve("run").toString(),
                "--tmpdir", dir.resolve("tmp").toString(),
                "--storage-driver", "vfs",
                "--events-backend", "none",
                "--cgroup-manager", "cgroupfs"));
        command.addAll(Arrays.asList(args));
        return Tools.run(command, Map.of("CONTAINERS_REGISTRIES_CONF", registriesConf.toString()), COMMAND_TIMEOUT);
    }

    public Tools.Result podmanOk(Path registriesConf, String... args) {
        Tools.Result r = podman(registriesConf, args);
        if (r.exit() != 0) {
            throw new AssertionError("podman " + String.join(" ", args) + " exited " + r.exit()
                    + "\nstdout: " + r.stdout() + "\nstderr: " + r.stderr());
        }
        return r;
    }

    /** What podman recorded for an image: its id (the config digest's hex), manifest digest and repository digests. */
    public record Image(String id, String digest, List<String> repoDigests) {
    }

    public Image inspect(Path registriesConf, String reference) {
        String out = podmanOk(registriesConf, "image", "inspect", "--format",
                "{{.Id}} {{.Digest}} {{join .RepoDigests \" \"}}", reference).stdout().trim();
        List<String> fields = List.of(out.split("\\s+"));
        return new Image(fields.get(0), fields.get(1), fields.subList(2, fields.size()));
    }

    /** Unmounts anything left under the store; podman runs no process between calls. */
    @Override
    public void close() {
        DaemonProcess.Mounts.unmountUnder(dir);
    }
}
