package dev.gantry.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Docker daemon of its own for a test class: data root, exec root, socket
 * and pid file under one directory, the vfs storage driver, no bridge and no
 * iptables (it pulls, it never runs containers). Docker's
 * {@code registry-mirrors} apply to Docker Hub names only, so a mirror test
 * pulls {@code test/hello:1} and the mirror is asked for
 * {@code /v2/test/hello/...}.
 */
public final class DockerDaemon implements AutoCloseable {

    private static final Duration COMMAND_TIMEOUT = Duration.ofMinutes(2);

    private final DaemonProcess daemon;
    private final Path cli;
    private final String host;

    private DockerDaemon(DaemonProcess daemon, Path cli, String host) {
        this.daemon = daemon;
        this.cli = cli;
        this.host = host;
    }

    /**
     * Starts dockerd under {@code dir}.
     *
     * @param mirrors            {@code registry-mirrors}, as URLs
     * @param insecureRegistries {@code host:port} of registries spoken to over plain HTTP
     */
    public static DockerDaemon start(Path dir, List<String> mirrors, List<String> insecureRegistries) {
        Tools.requireRoot();
        Path dockerd = Tools.require("dockerd");
        Path cli = Tools.require("docker");
        Path abs = dir.toAbsolutePath();
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("registry-mirrors", mirrors);
        config.put("insecure-registries", insecureRegistries);
        Path configFile = abs.resolve("daemon.json");
        try {
            Files.createDirectories(abs);
            new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(configFile.toFile(), config);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String host = "unix://" + abs.resolve("docker.sock");
        DaemonProcess process = DaemonProcess.start("dockerd", abs, List.of(dockerd.toString(),
                "--config-file", configFile.toString(),
                "--data-root", abs.resolve("data").toString(),
                "--exec-root", abs.resolve("exec").toString(),
                "--pidfile", abs.resolve("docker.pid").toString(),
                "-H", host,
                "--storage-driver=vfs",
                "--iptables=false", "--ip6tables=false", "--bridge=none"), Map.of());
        DockerDaemon docker = new DockerDaemon(process, cli, host);
        try {
            process.awaitReady(() -> docker.docker("version", "--format", "{{.Server.Version}}").exit() == 0,
                    Duration.ofSeconds(60));
        } catch (RuntimeException e) {
            docker.close();
            throw e;
        }
        return docker;
    }

    /** Runs the docker CLI against this daemon. */
    public Tools.Result docker(String... args) {
        List<String> command = new ArrayList<>(List.of(cli.toString(), "-H", host));
        command.addAll(Arrays.asList(args));
        return Tools.run(command, COMMAND_TIMEOUT);
    }

    /** Runs the docker CLI and fails the test, quoting the daemon's log, unless it succeeded. */
    public Tools.Result dockerOk(String... args) {
        Tools.Result r = docker(args);
        if (r.exit() != 0) {
            throw new AssertionError("docker " + String.join(" ", args) + " exited " + r.exit()
                    + "\nstdout: " + r.stdout() + "\nstderr: " + r.stderr() + "\n" + daemon.tail());
        }
        return r;
    }

    /** From {@code docker image inspect}: the image id (its config digest) and its repository digests. */
    public record Image(String id, List<String> repoDigests) {
    }

    public Image inspect(String reference) {
        String out = dockerOk("image", "inspect", "--format", "{{json .}}", reference).stdout();
        try {
            JsonNode image = new ObjectMapper().readTree(out);
            List<String> repoDigests = new ArrayList<>();
            image.path("RepoDigests").forEach(d -> repoDigests.add(d.asText()));
            return new Image(image.path("Id").asText(), repoDigests);
        } catch (IOException e) {
            throw new AssertionError("docker image inspect " + reference + " printed no JSON: " + out, e);
        }
    }

    @Override
    public void close() {
        daemon.close();
    }
}
