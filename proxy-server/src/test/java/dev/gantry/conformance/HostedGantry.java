package dev.gantry.conformance;

import dev.gantry.oci.Digest;
import dev.gantry.storage.StorageLayout;
import dev.gantry.testing.GantryServer;
import dev.gantry.testing.MutableClock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;

/**
 * Gantry as the conformance suite is pointed at it: hosted repositories under
 * {@code local/}, one user in a bcrypt htpasswd file, anonymous pull on (the
 * default) and anonymous push refused. No upstream is ever contacted.
 */
final class HostedGantry implements AutoCloseable {

    static final String NAMESPACE = "local/conformance";
    static final String CROSSMOUNT_NAMESPACE = "local/crossmount";
    static final String USER = "conformance";

    private final GantryServer server;
    private final String password;
    private final Path dataDir;

    private HostedGantry(GantryServer server, String password, Path dataDir) {
        this.server = server;
        this.password = password;
        this.dataDir = dataDir;
    }

    static HostedGantry start(Path dir) {
        return start(dir, "");
    }

    /** @param hostedKeys more keys of the {@code local/} hosted entry, e.g. {@code "    allowTagDelete: false\n"} */
    static HostedGantry start(Path dir, String hostedKeys) {
        return start(dir, hostedKeys, "");
    }

    /** @param authKeys more keys of {@code auth:}, e.g. {@code "  rules:\n    - prefix: ...\n"} */
    static HostedGantry start(Path dir, String hostedKeys, String authKeys) {
        return start(dir, hostedKeys, authKeys, "");
    }

    /** @param moreYaml more top-level sections, e.g. {@code "server:\n  idleTimeout: 2s\n"} */
    static HostedGantry start(Path dir, String hostedKeys, String authKeys, String moreYaml) {
        SecureRandom random = new SecureRandom();
        byte[] secret = new byte[12];
        random.nextBytes(secret);
        String password = HexFormat.of().formatHex(secret);
        byte[] salt = new byte[16];
        random.nextBytes(salt);
        Path htpasswd = dir.resolve("htpasswd");
        try {
            Files.createDirectories(dir);
            Files.writeString(htpasswd, USER + ":" + OpenBSDBCrypt.generate("2y", password.toCharArray(), salt, 10) + "\n",
                    StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String yaml = "hosted:\n  - prefix: local/\n" + hostedKeys
                + "auth:\n  htpasswd: " + htpasswd + "\n" + authKeys + moreYaml;
        Path data = dir.resolve("data");
        return new HostedGantry(GantryServer.start(yaml, data, MutableClock.startingNow()), password, data);
    }

    /** {@code OCI_ROOT_URL} */
    String url() {
        return server.url();
    }

    /** A client with {@code OCI_USERNAME}/{@code OCI_PASSWORD}, following challenges as the suite does. */
    ConformanceClient client() {
        return new ConformanceClient(server.url(), USER, password);
    }

    /** An {@code Authorization} header value with the user's Basic credentials, for requests written by hand. */
    String basicAuthorization() {
        return "Basic " + Base64.getEncoder().encodeToString((USER + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    /** Where the disk tier keeps {@code digest}. */
    Path blobFile(String digest) {
        return server.gantry().disk().pathOf(Digest.parse(digest));
    }

    /** The spool files on disk now: uploads in progress and fills being written. */
    Set<Path> spoolFiles() {
        try (Stream<Path> files = Files.list(StorageLayout.spoolDir(dataDir))) {
            return files.collect(Collectors.toSet());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        server.close();
    }
}
