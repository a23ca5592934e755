package dev.gantry.app;

import dev.gantry.auth.Htpasswd;
import dev.gantry.auth.TokenKeys;
import dev.gantry.config.ConfigException;
import dev.gantry.config.GantryConfig;
import dev.gantry.scan.kb.KnowledgeBase;
import dev.gantry.scan.kb.KnowledgeBaseException;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.util.internal.PlatformDependent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * The checks {@code serve} runs before it binds or writes anything, which
 * {@code config validate} runs too, so "ok" means "serve will start": files
 * named by the configuration exist and parse, the memory tier fits the JVM's
 * direct memory, the knowledge base loads, the data directory can be made.
 * Every problem is reported, each naming its key.
 */
public final class Preflight {

    /** Direct memory kept free of the memory tier for network and spool buffers. */
    static final long NETWORK_DIRECT_RESERVE = 32L << 20;

    private Preflight() {
    }

    /** @throws ConfigException listing every problem found */
    public static void check(GantryConfig config) {
        List<String> problems = problems(config, PlatformDependent.maxDirectMemory());
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
    }

    /** Every problem of {@code config} on this machine, given the JVM's direct memory limit. */
    static List<String> problems(GantryConfig config, long maxDirectMemory) {
        List<String> problems = new ArrayList<>();
        htpasswd(config, problems);
        tokenKeys(config, problems);
        tls(config, problems);
        memory(config, maxDirectMemory, problems);
        knowledgeBase(config, problems);
        dataDirectory(config, problems);
        return problems;
    }

    private static void htpasswd(GantryConfig config, List<String> problems) {
        if (!config.auth().hasUsers()) {
            return;
        }
        Path file = Path.of(config.auth().htpasswd());
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            problems.add("key 'auth.htpasswd': cannot read " + file.toAbsolutePath() + " (no such file, or not readable)");
            return;
        }
        try {
            if (new Htpasswd(file, Clock.systemUTC()).size() == 0) {
                problems.add("key 'auth.htpasswd': " + file + " holds no user with a bcrypt hash (make entries with htpasswd -B)");
            }
        } catch (IOException e) {
            problems.add("key 'auth.htpasswd': cannot read " + file + ": " + e.getMessage());
        }
    }

    /**
     * Replicas on one bucket sit behind one balancer: a token one issues must verify on the next, so
     * each generating its own key under its own disk would refuse every second request. Tokens
     * matter only with users, so the shared key is required only then.
     */
    private static void tokenKeys(GantryConfig config, List<String> problems) {
        List<String> files = config.auth().tokenKeys();
        if (files.isEmpty()) {
            if (config.auth().hasUsers() && config.storage().s3().enabled()) {
                problems.add("key 'auth.tokenKeys': replicas sharing the S3 bucket '" + config.storage().s3().bucket()
                        + "' must share the token signing key, or a token from one is refused by the next: set auth.tokenKeys to a "
                        + "PEM EC P-256 key file mounted into every replica (openssl ecparam -name prime256v1 -genkey -noout -out token-key.pem)");
            }
            return;
        }
        for (int i = 0; i < files.size(); i++) {
            Path file = Path.of(files.get(i));
            String key = "key 'auth.tokenKeys[" + i + "]': ";
            if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
                problems.add(key + "cannot read " + file.toAbsolutePath() + " (no such file, or not readable)");
                continue;
            }
            try {
                TokenKeys.load(file);
            } catch (IOException e) {
                problems.add(key + e.getMessage());
            }
        }
    }

    private static void tls(GantryConfig config, List<String> problems) {
        if (config.tls().certFile() == null || config.tls().keyFile() == null) {
            return;
        }
        Path cert = Path.of(config.tls().certFile());
        Path key = Path.of(config.tls().keyFile());
        boolean readable = true;
        for (Path p : List.of(cert, key)) {
            if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
                problems.add("key 'tls." + (p == cert ? "certFile" : "keyFile") + "': cannot read " + p.toAbsolutePath()
                        + " (no such file, or not readable)");
                readable = false;
            }
        }
        if (readable) {
            try {
                SslContextBuilder.forServer(cert.toFile(), key.toFile()).build();
            } catch (IOException | IllegalArgumentException e) {
                problems.add("keys 'tls.certFile', 'tls.keyFile': " + cert + " and " + key
                        + " are not a PEM certificate chain and its private key: " + e.getMessage());
            }
        }
    }

    private static void memory(GantryConfig config, long direct, List<String> problems) {
        long memoryBytes = config.storage().memory().maxBytes().bytes();
        if (memoryBytes > direct - NETWORK_DIRECT_RESERVE) {
            problems.add("key 'storage.memory.maxBytes' is " + config.storage().memory().maxBytes()
                    + " but the JVM's direct memory is only " + (direct >> 20) + "MiB: the memory tier lives there, beside "
                    + (NETWORK_DIRECT_RESERVE >> 20) + "MiB of network buffers: raise it (GANTRY_JAVA_OPTS=-XX:MaxDirectMemorySize="
                    + ((memoryBytes + NETWORK_DIRECT_RESERVE) >> 20) + "m) or lower the key");
        }
    }

    private static void knowledgeBase(GantryConfig config, List<String> problems) {
        String dir = config.hardware().knowledgeBase();
        if (dir == null) {
            return;
        }
        if (!Files.isDirectory(Path.of(dir))) {
            problems.add("key 'hardware.knowledgeBase': " + Path.of(dir).toAbsolutePath()
                    + " is not a directory (it should hold index.yaml, as conf/hardware-kb does)");
            return;
        }
        try {
            KnowledgeBase.load(Path.of(dir));
        } catch (KnowledgeBaseException e) {
            problems.add("key 'hardware.knowledgeBase': " + e.getMessage());
        }
    }

    private static void dataDirectory(GantryConfig config, List<String> problems) {
        Path dir = Path.of(config.storage().disk().path()).toAbsolutePath().normalize();
        if (Files.exists(dir)) {
            if (!Files.isDirectory(dir) || !Files.isWritable(dir)) {
                problems.add("key 'storage.disk.path': " + dir + " is not a writable directory");
            }
            return;
        }
        Path existing = dir.getParent();
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null || !Files.isDirectory(existing) || !Files.isWritable(existing)) {
            problems.add("key 'storage.disk.path': " + dir + " does not exist and cannot be created under "
                    + existing + " (not a writable directory)");
        }
    }
}
