package dev.gantry.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.config.ConfigLoader;
import dev.gantry.config.GantryConfig;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What serve checks before it binds or writes, and config validate with it. */
class PreflightTest {

    private static final long DIRECT = 96L << 20;

    @TempDir
    Path tmp;

    private GantryConfig config(String yaml) {
        return new ConfigLoader(Map.<String, String>of()::get)
                .load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)), "test.yaml");
    }

    @Test
    void theEmbeddedDefaultsPassWithTheLaunchersDirectMemory() {
        assertThat(Preflight.problems(config("storage: {disk: {path: " + tmp.resolve("data") + "}}"), DIRECT)).isEmpty();
    }

    @Test
    void everyMissingFileAndLimitIsReportedWithItsKey() {
        List<String> problems = Preflight.problems(config("""
                auth: {htpasswd: /nonexistent/htpasswd}
                tls: {certFile: /nonexistent/c.pem, keyFile: /nonexistent/k.pem}
                storage: {memory: {maxBytes: 512MiB}, disk: {path: %s}}
                hardware: {knowledgeBase: /nonexistent/kb}
                """.formatted(tmp.resolve("data"))), DIRECT);
        assertThat(problems).containsExactly(
                "key 'auth.htpasswd': cannot read /nonexistent/htpasswd (no such file, or not readable)",
                "key 'tls.certFile': cannot read /nonexistent/c.pem (no such file, or not readable)",
                "key 'tls.keyFile': cannot read /nonexistent/k.pem (no such file, or not readable)",
                "key 'storage.memory.maxBytes' is 512MiB but the JVM's direct memory is only 96MiB: the memory tier lives "
                        + "there, beside 32MiB of network buffers: raise it (GANTRY_JAVA_OPTS=-XX:MaxDirectMemorySize=544m) "
                        + "or lower the key",
                "key 'hardware.knowledgeBase': /nonexistent/kb is not a directory (it should hold index.yaml, as "
                        + "conf/hardware-kb does)");
        assertThat(tmp.resolve("data")).as("nothing written").doesNotExist();
    }

    @Test
    void filesThatExistButDoNotParseAreNamed() throws Exception {
        Path htpasswd = Files.writeString(tmp.resolve("htpasswd"), "alice:plaintext\n");
        Path cert = Files.writeString(tmp.resolve("c.pem"), "not a certificate\n");
        Path key = Files.writeString(tmp.resolve("k.pem"), "not a key\n");
        Path kb = Files.createDirectories(tmp.resolve("kb"));
        Files.writeString(kb.resolve("index.yaml"), "version: [\n");
        List<String> problems = Preflight.problems(config("""
                auth: {htpasswd: %s}
                tls: {certFile: %s, keyFile: %s}
                storage: {disk: {path: %s}}
                hardware: {knowledgeBase: %s}
                """.formatted(htpasswd, cert, key, tmp.resolve("data"), kb)), DIRECT);
        assertThat(problems).hasSize(3);
        assertThat(problems.get(0)).isEqualTo("key 'auth.htpasswd': " + htpasswd
                + " holds no user with a bcrypt hash (make entries with htpasswd -B)");
        assertThat(problems.get(1)).startsWith("keys 'tls.certFile', 'tls.keyFile': " + cert + " and " + key
                + " are not a PEM certificate chain and its private key: ");
        assertThat(problems.get(2)).startsWith("key 'hardware.knowledgeBase': ");
    }

    @Test
    void aDataDirectoryThatCannotBeMadeIsNamed() throws Exception {
        Path file = Files.writeString(tmp.resolve("plain-file"), "x");
        assertThat(Preflight.problems(config("storage: {disk: {path: " + file.resolve("data") + "}}"), DIRECT))
                .containsExactly("key 'storage.disk.path': " + file.resolve("data") + " does not exist and cannot be created under "
                        + file + " (not a writable directory)");
        assertThat(Preflight.problems(config("storage: {disk: {path: " + file + "}}"), DIRECT))
                .containsExactly("key 'storage.disk.path': " + file + " is not a writable directory");
    }

    @Test
    void usersOnASharedBucketWithoutASharedTokenKeyAreRefusedNamingTheKey() throws Exception {
        Path htpasswd = tmp.resolve("htpasswd");
        dev.gantry.testing.HtpasswdFile.write(htpasswd, Map.of("alice", "secret"));
        String shared = """
                auth: {htpasswd: %s}
                storage: {disk: {path: %s}, s3: {bucket: gantry, endpoint: "http://127.0.0.1:9"}}
                """.formatted(htpasswd, tmp.resolve("data"));
        assertThat(Preflight.problems(config(shared), DIRECT)).containsExactly(
                "key 'auth.tokenKeys': replicas sharing the S3 bucket 'gantry' must share the token signing key, or a token from "
                        + "one is refused by the next: set auth.tokenKeys to a PEM EC P-256 key file mounted into every replica "
                        + "(openssl ecparam -name prime256v1 -genkey -noout -out token-key.pem)");

        Path key = tmp.resolve("token-key.pem");
        dev.gantry.auth.TokenKeys.generatedAt(key);
        assertThat(Preflight.problems(config(shared.replace("auth: {", "auth: {tokenKeys: [" + key + "], ")), DIRECT)).isEmpty();
        assertThat(Preflight.problems(config(shared.replace("htpasswd: " + htpasswd, "anonymousPull: true")), DIRECT))
                .as("no users, no tokens that matter").isEmpty();
        assertThat(Preflight.problems(config("auth: {htpasswd: %s}\nstorage: {disk: {path: %s}}".formatted(htpasswd, tmp.resolve("data"))), DIRECT))
                .as("one replica on its own disk keeps the generated key").isEmpty();
    }

    @Test
    void tokenKeyFilesThatAreMissingOrDoNotParseAreNamedByIndex() throws Exception {
        Path good = tmp.resolve("good.pem");
        dev.gantry.auth.TokenKeys.generatedAt(good);
        Path garbage = Files.writeString(tmp.resolve("garbage.pem"), "not a key\n");
        Path rsa = tmp.resolve("rsa.pem");
        var gen = java.security.KeyPairGenerator.getInstance("RSA");
        gen.initialize(1024);
        Files.writeString(rsa, "-----BEGIN PRIVATE KEY-----\n" + java.util.Base64.getMimeEncoder(64, "\n".getBytes())
                .encodeToString(gen.generateKeyPair().getPrivate().getEncoded()) + "\n-----END PRIVATE KEY-----\n");
        List<String> problems = Preflight.problems(config("""
                auth: {tokenKeys: [%s, /nonexistent/key.pem, %s, %s]}
                storage: {disk: {path: %s}}
                """.formatted(good, garbage, rsa, tmp.resolve("data"))), DIRECT);
        assertThat(problems).hasSize(3);
        assertThat(problems.get(0)).isEqualTo("key 'auth.tokenKeys[1]': cannot read /nonexistent/key.pem (no such file, or not readable)");
        assertThat(problems.get(1)).startsWith("key 'auth.tokenKeys[2]': " + garbage + " holds no PEM private key");
        assertThat(problems.get(2)).startsWith("key 'auth.tokenKeys[3]': " + rsa + " is not an EC P-256 key");
    }
}
