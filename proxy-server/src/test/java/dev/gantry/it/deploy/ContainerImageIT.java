package dev.gantry.it.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gantry.oci.Digest;
import dev.gantry.testing.Awaits;
import dev.gantry.testing.DistributionRegistry;
import dev.gantry.testing.GantryProcess;
import dev.gantry.testing.HtpasswdFile;
import dev.gantry.testing.Http;
import dev.gantry.testing.Launcher;
import dev.gantry.testing.Podman;
import dev.gantry.testing.Pusher;
import dev.gantry.testing.TestImage;
import dev.gantry.testing.Tools;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Gantry's own image, built as CI builds it ({@code image/build.sh}:
 * mmdebstrap and buildah from the Debian mirror, no registry), pushed with
 * {@code buildah push} and credentials to a hosted repository of a Gantry,
 * inspected through that Gantry with skopeo, then pulled from it by Podman
 * and run: the Gantry in the container serves a pull-through of a real
 * upstream (CNCF Distribution) to skopeo.
 */
class ContainerImageIT {

    private static final String PASSWORD = "alice-Push-9";
    private static final String LOCAL_TAG = "localhost/gantry:it";
    private static final String JAR_PATH = "opt/gantry/gantry.jar";
    private static final int UID = 65532;
    private static final Duration BUILD_TIMEOUT = Duration.ofMinutes(25);
    private static final Duration TIMEOUT = Duration.ofMinutes(5);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path tmp;

    static Path jar;
    static Map<String, String> buildahEnv;
    static DistributionRegistry upstream;
    static GantryProcess gantry;
    static String pushed;
    static JsonNode manifest;
    static JsonNode config;
    static Podman podman;
    static Path registriesConf;
    static boolean pulledByPodman;
    static final List<String> containers = new ArrayList<>();

    @BeforeAll
    static void buildAndPush() throws IOException {
        Tools.requireRoot();
        Tools.require("mmdebstrap");
        Path buildah = Tools.require("buildah");
        Path skopeo = Tools.require("skopeo");
        Tools.require("podman");
        Tools.require("runc");
        jar = Path.of(System.getProperty("gantry.jar"));

        // buildah's own store, so the test neither needs nor touches the machine's.
        Path storageConf = tmp.resolve("storage.conf");
        Files.writeString(storageConf, "[storage]\ndriver = \"vfs\"\ngraphroot = \"" + tmp.resolve("buildah/root")
                + "\"\nrunroot = \"" + tmp.resolve("buildah/run") + "\"\n");
        buildahEnv = Map.of("CONTAINERS_STORAGE_CONF", storageConf.toString(), "STORAGE_DRIVER", "vfs");
        List<String> build = List.of("bash", Launcher.repository().resolve("image/build.sh").toString(),
                "--jar", jar.toString(), "--tag", LOCAL_TAG);
        long start = System.nanoTime();
        Tools.Result built = Tools.run(build, buildahEnv, BUILD_TIMEOUT).orFail(build);
        System.out.printf("image/build.sh took %.0f s%n%s", (System.nanoTime() - start) / 1e9, built.stderr());

        upstream = DistributionRegistry.start(tmp.resolve("upstream"));
        Path htpasswd = HtpasswdFile.write(tmp.resolve("htpasswd"), Map.of("alice", PASSWORD));
        gantry = GantryProcess.start(tmp.resolve("gantry"), "upstreams:\n  - name: docker.io\n    url: " + upstream.url()
                + "\n    default: true\nhosted:\n  - prefix: local/\nauth:\n  htpasswd: " + htpasswd + "\n"
                + "storage:\n  disk:\n    path: " + tmp.resolve("gantry/data") + "\n");
        pushed = gantry.hostPort() + "/local/gantry:it";

        List<String> push = List.of(buildah.toString(), "push", "--tls-verify=false", "--creds", "alice:" + PASSWORD,
                LOCAL_TAG, "docker://" + pushed);
        Tools.run(push, buildahEnv, TIMEOUT).orFail(push);

        manifest = JSON.readTree(Tools.runOk(List.of(skopeo.toString(), "inspect", "--raw", "--tls-verify=false",
                "docker://" + pushed), TIMEOUT).stdout());
        config = JSON.readTree(Tools.runOk(List.of(skopeo.toString(), "inspect", "--config", "--tls-verify=false",
                "docker://" + pushed), TIMEOUT).stdout());
    }

    @AfterAll
    static void stop() {
        if (podman != null) {
            for (String id : containers) {
                podman.podman(registriesConf, "rm", "--force", "--time", "0", id);
            }
            podman.close();
        }
        if (gantry != null) {
            gantry.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    @Test
    void entrypointRunsTheJarWithTheLaunchersJvmFlagsInExecForm() {
        List<String> expected = new ArrayList<>();
        expected.add("/usr/bin/java");
        expected.addAll(Launcher.jvmFlags());
        expected.addAll(List.of("-jar", "/" + JAR_PATH));
        assertThat(strings(config.at("/config/Entrypoint"))).isEqualTo(expected);
        assertThat(strings(config.at("/config/Cmd"))).containsExactly("serve", "--config", "/etc/gantry/gantry.yaml");
    }

    @Test
    void runsAsANonRootNumericUser() {
        assertThat(config.at("/config/User").asText()).isEqualTo(UID + ":" + UID);
    }

    @Test
    void hasThreeLayersTheJarAloneInTheLast() throws IOException {
        JsonNode layers = manifest.get("layers");
        assertThat(layers).hasSize(3);
        assertThat(config.at("/rootfs/diff_ids")).hasSize(3);

        Map<String, byte[]> last = files(layers.get(2));
        assertThat(last.keySet()).containsExactly(JAR_PATH);
        assertThat(Digest.sha256(last.get(JAR_PATH))).isEqualTo(Digest.sha256(Files.readAllBytes(jar)));
    }

    @Test
    void theMiddleLayerIsTheDefaultConfigurationAlone() throws IOException {
        Map<String, byte[]> middle = files(manifest.get("layers").get(1));
        assertThat(middle.keySet()).containsExactly("etc/gantry/gantry.yaml");
        assertThat(middle.get("etc/gantry/gantry.yaml"))
                .isEqualTo(Files.readAllBytes(Launcher.repository().resolve("image/gantry.yaml")));
    }

    @Test
    void theBaseLayerHoldsAJreButNoJdkNorDocumentation() throws IOException {
        Map<String, Boolean> entries = entries(manifest.get("layers").get(0));
        List<String> files = entries.keySet().stream().filter(entries::get).toList();
        assertThat(files).contains("usr/lib/jvm/java-17-openjdk-amd64/lib/server/libjvm.so", "etc/ssl/certs/java/cacerts");
        assertThat(files).noneMatch(n -> n.endsWith("/bin/javac"));
        assertThat(files).noneMatch(n -> n.startsWith("usr/share/man/") || n.startsWith("usr/share/locale/"));
        assertThat(files).noneMatch(n -> n.startsWith("var/lib/apt/lists/") || n.startsWith("var/cache/apt/"));
        assertThat(files).filteredOn(n -> n.startsWith("usr/share/doc/")).isNotEmpty().allMatch(n -> n.endsWith("/copyright"));
        assertThat(entries.keySet()).as("device nodes are the runtime's").noneMatch(n -> n.startsWith("dev/") && !n.equals("dev/"));
    }

    @Test
    void carriesTheOciLabels() throws IOException, InterruptedException {
        JsonNode labels = config.at("/config/Labels");
        assertThat(labels.path("org.opencontainers.image.title").asText()).isEqualTo("Gantry");
        assertThat(labels.path("org.opencontainers.image.description").asText()).isNotBlank();
        assertThat(labels.path("org.opencontainers.image.source").asText()).isNotBlank();
        assertThat(labels.path("org.opencontainers.image.licenses").asText()).isNotBlank();
        try (JarFile j = new JarFile(jar.toFile())) {
            assertThat(labels.path("org.opencontainers.image.version").asText())
                    .isEqualTo(j.getManifest().getMainAttributes().getValue("Implementation-Version"));
        }
        String head = Tools.runOk(List.of("git", "-C", Launcher.repository().toString(), "rev-parse", "HEAD"), TIMEOUT)
                .stdout().trim();
        assertThat(labels.path("org.opencontainers.image.revision").asText()).isEqualTo(head);
        Instant created = Instant.parse(labels.path("org.opencontainers.image.created").asText());
        assertThat(created).isBetween(Instant.now().minus(Duration.ofHours(1)), Instant.now());
    }

    @Test
    void exposesThePortAndDeclaresTheDataVolume() {
        assertThat(config.at("/config/ExposedPorts").has("5000/tcp")).isTrue();
        assertThat(config.at("/config/Volumes").has("/var/lib/gantry")).isTrue();
        assertThat(config.at("/config/WorkingDir").asText()).isEqualTo("/var/lib/gantry");
        assertThat(config.path("os").asText() + "/" + config.path("architecture").asText()).isEqualTo("linux/amd64");
    }

    @Test
    void itsDefaultConfigurationIsValidInsideTheContainer() {
        Tools.Result r = runContainer(List.of("--rm"), List.of("config", "validate", "/etc/gantry/gantry.yaml"));
        assertThat(r.stdout()).contains("listen 0.0.0.0:5000", "disk /var/lib/gantry");
    }

    @Test
    void servesAPullThroughOfARealUpstreamFromTheContainerAndStopsOnSigterm() throws Exception {
        TestImage image = TestImage.builder().seed(81).layer(300_000).layer(40_000).build();
        new Pusher(upstream.url()).push("test/small", "1", image);

        int port = Tools.freePort();
        Path dir = Files.createDirectories(tmp.resolve("container"));
        Path conf = dir.resolve("gantry.yaml");
        Files.writeString(conf, "listen: 127.0.0.1:" + port + "\n"
                + "upstreams:\n  - name: docker.io\n    url: " + upstream.url() + "\n    default: true\n"
                + "storage:\n  disk:\n    path: /var/lib/gantry\n");
        Path data = Files.createDirectories(dir.resolve("data"));
        Files.setAttribute(data, "unix:uid", UID);
        Files.setAttribute(data, "unix:gid", UID);

        String id = runContainer(List.of("--detach", "-v", conf + ":/etc/gantry/gantry.yaml:ro",
                "-v", data + ":/var/lib/gantry"), List.of()).stdout().trim();
        containers.add(id);
        awaitReady(id, "http://127.0.0.1:" + port);

        Path out = tmp.resolve("pulled");
        Tools.runOk(List.of(Tools.require("skopeo").toString(), "copy", "--src-tls-verify=false",
                "docker://127.0.0.1:" + port + "/test/small:1", "dir:" + out), TIMEOUT);
        assertThat(Digest.sha256(Files.readAllBytes(out.resolve("manifest.json")))).isEqualTo(image.digest());
        for (TestImage.Blob b : image.blobs()) {
            assertThat(Files.readAllBytes(out.resolve(b.digest().hex()))).isEqualTo(b.bytes());
        }
        assertThat(upstream.count(DistributionRegistry.Request::isBlobGet)).isEqualTo(image.blobs().size());
        // The container's Gantry, running as the image's user, kept them on the mounted volume.
        for (TestImage.Blob b : image.layers()) {
            Path stored = data.resolve("blobs/sha256").resolve(b.digest().hex().substring(0, 2)).resolve(b.digest().hex());
            assertThat(stored).hasBinaryContent(b.bytes());
        }

        // Exec form: java is PID 1 and gets SIGTERM itself (a shell in between would swallow it
        // and the runtime would SIGKILL after the timeout, exit 137).
        long start = System.nanoTime();
        podman.podmanOk(registriesConf, "stop", "--time", "30", id);
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        String exit = podman.podmanOk(registriesConf, "inspect", "--format", "{{.State.ExitCode}}", id).stdout().trim();
        assertThat(exit).isIn("0", "143");
        assertThat(took).isLessThan(Duration.ofSeconds(25));
    }

    @Test
    void gantryScanOfItsOwnImageNamesThePlatformTheVolumeAndNoRequiredCpuFeature() throws IOException {
        List<String> scan = List.of(javaBinary(), "-jar", jar.toString(), "scan", "--json", "--cache",
                tmp.resolve("scan").toString(), pushed);
        JsonNode doc = JSON.readTree(Tools.runOk(scan, TIMEOUT).stdout());
        assertThat(doc.at("/platform/os").asText()).isEqualTo("linux");
        assertThat(doc.at("/platform/architecture").asText()).isEqualTo("amd64");
        assertThat(strings(doc.get("volumes"))).containsExactly("/var/lib/gantry");
        assertThat(doc.at("/scan/status").asText()).isEqualTo("complete");
        // A JRE runs on any x86-64: everything past the baseline (glibc, OpenSSL, libjsvml's
        // per-ISA entry points that libjvm picks) sits behind run-time dispatch.
        assertThat(doc.at("/platform/cpu/level").asText()).isEqualTo("x86-64-v1");
        List<String> required = new ArrayList<>();
        doc.at("/platform/cpu/features").properties().forEach(f -> {
            if (f.getValue().asText().equals("required")) {
                required.add(f.getKey());
            }
        });
        assertThat(required).as("CPU features the image cannot run without").isEmpty();
        assertThat(doc.at("/subject/digest").asText())
                .isEqualTo(Digest.sha256(Tools.runOk(List.of(Tools.require("skopeo").toString(), "inspect", "--raw",
                        "--tls-verify=false", "docker://" + pushed), TIMEOUT).stdout().getBytes()).toString());
    }

    // --- helpers ---------------------------------------------------------

    /**
     * {@code podman run} of the image as pulled from Gantry's hosted repository.
     * Host networking (the container's Gantry binds 127.0.0.1 and reaches the
     * upstream there); runc and explicit limits because this machine's
     * sandbox has hybrid cgroups (crun refuses them) and may not raise
     * rlimits (podman's defaults exceed the hard ones).
     */
    private static Tools.Result runContainer(List<String> options, List<String> args) {
        pullByPodman();
        long nofile = hardLimit("Max open files");
        List<String> command = new ArrayList<>(List.of("--runtime", "runc", "run", "--network", "host",
                "--ulimit", "nofile=" + nofile + ":" + nofile,
                "--ulimit", "nproc=4096:4096"));
        command.addAll(options);
        command.add(pushed);
        command.addAll(args);
        return podman.podmanOk(registriesConf, command.toArray(String[]::new));
    }

    private static synchronized void pullByPodman() {
        if (pulledByPodman) {
            return;
        }
        podman = Podman.create(tmp.resolve("podman"));
        registriesConf = tmp.resolve("registries.conf");
        try {
            Files.writeString(registriesConf, "unqualified-search-registries = []\n");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        podman.podmanOk(registriesConf, "pull", "--tls-verify=false", pushed);
        pulledByPodman = true;
    }

    private static void awaitReady(String id, String url) {
        HttpClient client = HttpClient.newHttpClient();
        String state;
        try {
            state = Awaits.until(() -> readiness(client, id, url), s -> !s.equals("starting"), Duration.ofSeconds(90));
        } catch (AssertionError notWithin) {
            state = "not ready in time";
        }
        if (!state.equals("ready")) {
            Tools.Result logs = podman.podman(registriesConf, "logs", id);
            throw new AssertionError("the container's Gantry did not become ready (" + state + "):\n" + logs.stdout() + logs.stderr());
        }
    }

    /** "ready" once /readyz answers 200, "exited" if the container stopped, else "starting". */
    private static String readiness(HttpClient client, String id, String url) {
        try {
            HttpResponse<Void> r = client.send(HttpRequest.newBuilder(URI.create(url + "/readyz")).build(),
                    HttpResponse.BodyHandlers.discarding());
            if (r.statusCode() == 200) {
                return "ready";
            }
        } catch (IOException e) {
            // Not up yet.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        String running = podman.podman(registriesConf, "inspect", "--format", "{{.State.Running}}", id).stdout().trim();
        return running.equals("true") ? "starting" : "exited";
    }

    /** A layer's entries other than directories, with their bytes (none for links and devices). */
    private static Map<String, byte[]> files(JsonNode descriptor) throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        try (TarArchiveInputStream tar = layer(descriptor)) {
            TarArchiveEntry e;
            while ((e = tar.getNextEntry()) != null) {
                if (regular(e)) {
                    files.put(e.getName(), tar.readAllBytes());
                } else if (!e.isDirectory()) {
                    files.put(e.getName(), null);
                }
            }
        }
        return files;
    }

    /** Every entry of a layer by name, true for regular files. */
    private static Map<String, Boolean> entries(JsonNode descriptor) throws IOException {
        Map<String, Boolean> entries = new LinkedHashMap<>();
        try (TarArchiveInputStream tar = layer(descriptor)) {
            TarArchiveEntry e;
            while ((e = tar.getNextEntry()) != null) {
                entries.put(e.getName().startsWith("./") ? e.getName().substring(2) : e.getName(), regular(e));
            }
        }
        return entries;
    }

    /** A regular file: commons-compress's isFile() is also true of links. */
    private static boolean regular(TarArchiveEntry e) {
        return e.isFile() && !e.isSymbolicLink() && !e.isLink() && !e.isCharacterDevice() && !e.isBlockDevice() && !e.isFIFO();
    }

    private static TarArchiveInputStream layer(JsonNode descriptor) throws IOException {
        String digest = descriptor.get("digest").asText();
        assertThat(descriptor.get("mediaType").asText()).endsWith("tar+gzip");
        Http.Response r = new Http(gantry.url()).get("/v2/local/gantry/blobs/" + digest);
        assertThat(r.status()).as("blob %s through Gantry", digest).isEqualTo(200);
        assertThat(Digest.sha256(r.body()).toString()).isEqualTo(digest);
        InputStream in = new GZIPInputStream(new ByteArrayInputStream(r.body()));
        return new TarArchiveInputStream(in);
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    /** This process's hard limit from /proc/self/limits, at most 65536 (a container may lower limits, not raise them). */
    private static long hardLimit(String name) {
        try (Stream<String> lines = Files.lines(Path.of("/proc/self/limits"))) {
            String hard = lines.filter(l -> l.startsWith(name)).findFirst()
                    .map(l -> l.substring(name.length()).trim().split("\\s+")[1]).orElseThrow();
            return hard.equals("unlimited") ? 65536 : Math.min(65536, Long.parseLong(hard));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
