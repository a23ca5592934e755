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
import java.util.Set;
import java.util.TreeSet;

/**
 * A containerd of its own for a test class (root, state and sockets under one
 * directory, the CRI plugin off), driven with {@code ctr}. Images are unpacked
 * with the {@code native} snapshotter, which needs no overlay support from the
 * filesystem the test directory is on.
 */
public final class Containerd implements AutoCloseable {

    private static final Duration COMMAND_TIMEOUT = Duration.ofMinutes(2);

    private final DaemonProcess daemon;
    private final Path ctr;
    private final String address;

    private Containerd(DaemonProcess daemon, Path ctr, String address) {
        this.daemon = daemon;
        this.ctr = ctr;
        this.address = address;
    }

    public static Containerd start(Path dir) {
        Tools.requireRoot();
        Path containerd = Tools.require("containerd");
        Path ctr = Tools.require("ctr");
        Path abs = dir.toAbsolutePath();
        String address = abs.resolve("containerd.sock").toString();
        String config = "version = 2\n"
                + "root = \"" + abs.resolve("root") + "\"\n"
                + "state = \"" + abs.resolve("state") + "\"\n"
                + "disabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n"
                + "[grpc]\n  address = \"" + address + "\"\n"
                + "[ttrpc]\n  address = \"" + address + ".ttrpc\"\n"
                + "[debug]\n  address = \"\"\n"
                + "[metrics]\n  address = \"\"\n"
                + "[plugins.\"io.containerd.internal.v1.opt\"]\n  path = \"" + abs.resolve("opt") + "\"\n";
        Path configFile = abs.resolve("config.toml");
        try {
            Files.createDirectories(abs);
            Files.writeString(configFile, config);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        DaemonProcess process = DaemonProcess.start("containerd", abs,
                List.of(containerd.toString(), "--config", configFile.toString()), Map.of());
        Containerd c = new Containerd(process, ctr, address);
        try {
            process.awaitReady(() -> c.ctr("version").exit() == 0, Duration.ofSeconds(60));
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
        return c;
    }

    /**
     * Writes {@code hostsDir/<registry>/hosts.toml} sending pulls of {@code registry}
     * to {@code mirrorUrl}. The fallback {@code server} is the registry's own,
     * as an operator would write it; it is unreachable here, so a pull that
     * succeeds came from the mirror.
     */
    public static void writeMirror(Path hostsDir, String registry, String server, String mirrorUrl) {
        try {
            Path dir = Files.createDirectories(hostsDir.resolve(registry));
            Files.writeString(dir.resolve("hosts.toml"), "server = \"" + server + "\"\n\n"
                    + "[host.\"" + mirrorUrl + "\"]\n"
                    + "  capabilities = [\"pull\", \"resolve\"]\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Tools.Result ctr(String... args) {
        List<String> command = new ArrayList<>(List.of(ctr.toString(), "--address", address));
        command.addAll(Arrays.asList(args));
        return Tools.run(command, COMMAND_TIMEOUT);
    }

    /** Runs ctr and fails the test, quoting containerd's log, unless it succeeded. */
    public Tools.Result ctrOk(String... args) {
        Tools.Result r = ctr(args);
        if (r.exit() != 0) {
            throw new AssertionError("ctr " + String.join(" ", args) + " exited " + r.exit()
                    + "\nstdout: " + r.stdout() + "\nstderr: " + r.stderr() + "\n" + daemon.tail());
        }
        return r;
    }

    /** {@code ctr images pull}, unpacking with the native snapshotter; {@code options} go before the reference. */
    public void pull(String reference, String... options) {
        List<String> args = new ArrayList<>(List.of("images", "pull", "--snapshotter", "native"));
        args.addAll(Arrays.asList(options));
        args.add(reference);
        ctrOk(args.toArray(String[]::new));
    }

    /** The digest containerd recorded as the target of image {@code reference} ({@code ctr images ls}). */
    public String imageDigest(String reference) {
        for (String line : ctrOk("images", "ls").stdout().split("\n")) {
            String[] columns = line.trim().split("\\s+");
            if (columns.length >= 3 && columns[0].equals(reference)) {
                return columns[2];
            }
        }
        throw new AssertionError("no image " + reference + " in ctr images ls:\n" + ctrOk("images", "ls").stdout());
    }

    /** Digests in the content store. */
    public Set<String> content() {
        Set<String> out = new TreeSet<>();
        for (String line : ctrOk("content", "ls", "--quiet").stdout().split("\n")) {
            if (!line.isBlank()) {
                out.add(line.trim());
            }
        }
        return out;
    }

    /** A blob's bytes from the content store, as text (for manifests and configs). */
    public String contentText(String digest) {
        return ctrOk("content", "get", digest).stdout();
    }

    /** Removes the image and, synchronously, every blob and snapshot only it referenced. */
    public void remove(String reference) {
        ctrOk("images", "rm", "--sync", reference);
    }

    @Override
    public void close() {
        daemon.close();
    }
}
