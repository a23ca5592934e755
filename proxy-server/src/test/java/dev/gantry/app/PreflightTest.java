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
}
