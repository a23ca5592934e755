package dev.gantry.it.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.auth.TokenKeys;
import dev.gantry.testing.Awaits;
import dev.gantry.testing.GantryProcess;
import dev.gantry.testing.HtpasswdFile;
import dev.gantry.testing.Launcher;
import dev.gantry.testing.S3ProxyServer;
import dev.gantry.testing.Tools;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A new user's first mistakes, made with the real jar and bin/gantry's JVM
 * flags: each gets the exact lines on standard error, the exit status, and
 * nothing started or written.
 */
class FirstHourIT {

    @TempDir
    Path tmp;

    record Run(int exit, String stdout, String stderr) {
        List<String> errLines() {
            return stderr.lines().filter(l -> !l.isBlank()).toList();
        }
    }

    private Run gantry(String... args) {
        List<String> command = new ArrayList<>();
        command.add(S3ProxyServer.javaBinary());
        command.addAll(Launcher.jvmFlags());
        command.add("-jar");
        command.add(System.getProperty("gantry.jar"));
        command.addAll(List.of(args));
        Tools.Result r = Tools.run(command, Duration.ofSeconds(60));
        return new Run(r.exit(), r.stdout(), r.stderr());
    }

    private Path write(String name, String text) {
        try {
            return Files.writeString(tmp.resolve(name), text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A configuration with every mistake of the issue at once. */
    private Path everythingWrong() {
        return write("bad.yaml", """
                listen: 127.0.0.1:%d
                auth: {htpasswd: /nonexistent/htpasswd}
                tls: {certFile: /nonexistent/c.pem, keyFile: /nonexistent/k.pem}
                storage: {memory: {maxBytes: 512MiB}, disk: {path: %s}}
                hardware: {knowledgeBase: /nonexistent/kb}
                upstreams:
                  - {name: docker.io, url: "https://registry-1.docker.io", urll: x}
                """.formatted(Tools.freePort(), tmp.resolve("data")));
    }

    private static final List<String> EVERYTHING_WRONG = List.of(
            "unknown key 'upstreams[0].urll'; expected one of [connectTimeout, default, library, maxConnections, name, "
                    + "password, private, readTimeout, retries, url, username]",
            "key 'auth.htpasswd': cannot read /nonexistent/htpasswd (no such file, or not readable)",
            "key 'tls.certFile': cannot read /nonexistent/c.pem (no such file, or not readable)",
            "key 'tls.keyFile': cannot read /nonexistent/k.pem (no such file, or not readable)",
            "key 'storage.memory.maxBytes' is 512MiB but the JVM's direct memory is only 96MiB: the memory tier lives there, "
                    + "beside 32MiB of network buffers: raise it (GANTRY_JAVA_OPTS=-XX:MaxDirectMemorySize=544m) or lower the key",
            "key 'hardware.knowledgeBase': /nonexistent/kb is not a directory (it should hold index.yaml, as "
                    + "conf/hardware-kb does)");

    @Test
    void configValidateReportsEveryProblemServeWouldStopAtAndWritesNothing() {
        Path bad = everythingWrong();
        Run r = gantry("config", "validate", bad.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.stdout()).isEmpty();
        assertThat(r.errLines()).containsExactly(
                "gantry: " + bad + ": " + EVERYTHING_WRONG.get(0),
                "gantry: " + EVERYTHING_WRONG.get(1),
                "gantry: " + EVERYTHING_WRONG.get(2),
                "gantry: " + EVERYTHING_WRONG.get(3),
                "gantry: " + EVERYTHING_WRONG.get(4),
                "gantry: " + EVERYTHING_WRONG.get(5));
        assertThat(tmp.resolve("data")).doesNotExist();
    }

    @Test
    void serveStopsAtTheSameProblemsWithAHintAndWritesNothing() {
        Path bad = everythingWrong();
        Run r = gantry("serve", "--config", bad.toString());
        assertThat(r.exit()).isEqualTo(2);
        List<String> expected = new ArrayList<>();
        expected.add("gantry: " + bad + ": " + EVERYTHING_WRONG.get(0));
        EVERYTHING_WRONG.subList(1, EVERYTHING_WRONG.size()).forEach(p -> expected.add("gantry: " + p));
        expected.add("  hint: 'gantry config validate FILE' checks a configuration without starting anything");
        assertThat(r.errLines()).containsExactlyElementsOf(expected);
        assertThat(r.stdout()).as("nothing started, nothing logged").isEmpty();
        assertThat(tmp.resolve("data")).doesNotExist();
    }

    @Test
    void aYamlSyntaxErrorNamesTheFileLineAndColumn() {
        Path bad = write("syntax.yaml", "listen: 127.0.0.1:5000\nupstreams: [\n  a: b: c\n");
        Run r = gantry("config", "validate", bad.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.errLines()).containsExactly(
                "gantry: " + bad + ":3:7: not valid YAML: while parsing a flow sequence; expected ',' or ']', but got :");
    }

    @Test
    void syntaxOnlyLeavesTheFilesAndLimitsOfAnotherMachineUnchecked() {
        Path bad = everythingWrong();
        Run r = gantry("config", "validate", "--syntax-only", bad.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.errLines()).containsExactly("gantry: " + bad + ": " + EVERYTHING_WRONG.get(0));
    }

    @Test
    void versionNamesTheCommitTheJarWasBuiltFrom() {
        Tools.Result head = Tools.runOk(List.of("git", "-C", Launcher.repository().toString(), "rev-parse", "--short=12", "HEAD"),
                Duration.ofSeconds(30));
        Run r = gantry("--version");
        assertThat(r.exit()).isZero();
        assertThat(r.stdout().strip()).matches("gantry \\S+ \\(commit " + head.stdout().strip() + "\\)");
    }

    @Test
    void aGoodConfigurationValidatesOk() {
        Path good = write("good.yaml", "listen: 127.0.0.1:5000\nstorage: {disk: {path: " + tmp.resolve("data") + "}}\n");
        Run r = gantry("config", "validate", good.toString());
        assertThat(r.exit()).as(r.stderr()).isZero();
        assertThat(r.stdout().strip()).isEqualTo("ok: listen 127.0.0.1:5000, 0 upstream(s), disk " + tmp.resolve("data")
                + " (20GiB)");
        assertThat(tmp.resolve("data")).doesNotExist();
    }

    @Test
    void usersOnASharedBucketNeedASharedTokenKeyAndConfigValidateSaysWhich() throws Exception {
        Path htpasswd = HtpasswdFile.write(tmp.resolve("htpasswd"), Map.of("ci", "ci-Secret-1"));
        String yaml = """
                listen: 127.0.0.1:5000
                auth: {htpasswd: %s}
                storage: {disk: {path: %s}, s3: {endpoint: "http://127.0.0.1:9", bucket: gantry}}
                """.formatted(htpasswd, tmp.resolve("data"));
        Run refused = gantry("config", "validate", write("shared.yaml", yaml).toString());
        assertThat(refused.exit()).isEqualTo(2);
        assertThat(refused.errLines()).containsExactly("gantry: key 'auth.tokenKeys': replicas sharing the S3 bucket 'gantry' must "
                + "share the token signing key, or a token from one is refused by the next: set auth.tokenKeys to a PEM EC P-256 "
                + "key file mounted into every replica (openssl ecparam -name prime256v1 -genkey -noout -out token-key.pem)");

        Path key = tmp.resolve("token-key.pem");
        TokenKeys.generatedAt(key);
        Run ok = gantry("config", "validate", write("keyed.yaml", yaml.replace("auth: {", "auth: {tokenKeys: [" + key + "], ")).toString());
        assertThat(ok.exit()).as(ok.stderr()).isZero();
        assertThat(tmp.resolve("data")).doesNotExist();
    }

    @Test
    void aPortInUseIsOneLineNamingListenAndTheAddressAndNothingIsWritten() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            String address = "127.0.0.1:" + taken.getLocalPort();
            Path config = write("port.yaml", "listen: " + address + "\nstorage: {disk: {path: " + tmp.resolve("data") + "}}\n");
            Run r = gantry("serve", "--config", config.toString());
            assertThat(r.exit()).isEqualTo(1);
            assertThat(r.errLines()).containsExactly(
                    "gantry: cannot listen on " + address + " (key 'listen'): address already in use",
                    "  hint: another process holds it: stop that process, or choose another address with 'listen' in the "
                            + "configuration or --listen HOST:PORT");
            assertThat(r.stdout()).doesNotContain("Exception").doesNotContain("\tat ");
            assertThat(tmp.resolve("data")).doesNotExist();
        }
    }

    @Test
    void aSecondProcessOnTheSameDataDirectoryStopsBeforeTouchingIt() throws Exception {
        Path data = tmp.resolve("data");
        try (GantryProcess first = GantryProcess.start(tmp.resolve("first"),
                "storage: {disk: {path: " + data + "}}\nupstreams: []\n")) {
            Map<String, Long> before = snapshot(data);
            Path config = write("second.yaml", "listen: 127.0.0.1:" + Tools.freePort() + "\nstorage: {disk: {path: " + data
                    + "}}\n");
            Run r = gantry("serve", "--config", config.toString());
            assertThat(r.exit()).isEqualTo(1);
            assertThat(r.errLines()).containsExactly(
                    "gantry: data directory " + data + " (key 'storage.disk.path') is in use by another Gantry (pid "
                            + first.pid() + ")",
                    "  hint: each replica needs its own storage.disk.path; stop the other process or choose another directory");
            assertThat(snapshot(data)).as("the first process's files are untouched").isEqualTo(before);
        }
    }

    @Test
    void sigtermLogsTheDrainAndExitsZero() {
        GantryProcess g = GantryProcess.start(tmp.resolve("g"), "storage: {disk: {path: " + tmp.resolve("data") + "}}\n"
                + "upstreams: []\n");
        g.stop();
        // The log is written in batches and read by a collector thread: wait for the last line.
        List<String> out = Awaits.until(g::output, lines -> lines.stream().anyMatch(l -> l.endsWith("stopped")),
                Duration.ofSeconds(10));
        assertThat(out).anyMatch(l -> l.contains("shutting down: /readyz answers 503; 0 response(s) in flight have up to "
                + "30s to finish"));
    }

    @Test
    void skopeoSpeakingHttpsToThePlainPortIsToldSoAndLoggedAsWhatItIs() {
        Path skopeo = Tools.require("skopeo");
        GantryProcess g = GantryProcess.start(tmp.resolve("g"), "storage: {disk: {path: " + tmp.resolve("data") + "}}\n"
                + "upstreams: []\n");
        try {
            Tools.Result r = Tools.run(List.of(skopeo.toString(), "inspect", "--raw", "docker://" + g.hostPort() + "/x/y:1"),
                    Duration.ofSeconds(60));
            assertThat(r.exit()).isNotZero();
            assertThat(r.stderr()).contains("server gave HTTP response to HTTPS client");
            List<String> out = Awaits.until(g::output,
                    lines -> lines.stream().anyMatch(l -> l.contains("- (tls-handshake-on-plain-http-port) 400")),
                    Duration.ofSeconds(10));
            assertThat(out).noneMatch(l -> l.contains("/bad-request"));
        } finally {
            g.stop();
        }
    }

    private static Map<String, Long> snapshot(Path dir) throws IOException {
        Map<String, Long> out = new TreeMap<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.toList()) {
                out.put(dir.relativize(p).toString(), Files.getLastModifiedTime(p).toMillis());
            }
        }
        return out;
    }
}
