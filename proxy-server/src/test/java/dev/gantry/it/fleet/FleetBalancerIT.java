package dev.gantry.it.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.testing.Awaits;
import dev.gantry.testing.DistributionRegistry;
import dev.gantry.testing.Fleet;
import dev.gantry.testing.GantryProcess;
import dev.gantry.testing.Http;
import dev.gantry.testing.NginxBalancer;
import dev.gantry.testing.Podman;
import dev.gantry.testing.Pusher;
import dev.gantry.testing.TestImage;
import dev.gantry.testing.Tools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fleet as a new user runs it: three Gantry processes on one S3Proxy
 * bucket, nginx round robin in front with no affinity, a Distribution
 * upstream, {@code auth.htpasswd} on with one shared token key, and real
 * clients (skopeo, Podman) talking to the balancer only. Each request of a
 * pull or push may reach another replica.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FleetBalancerIT {

    private static final Duration CLIENT_TIMEOUT = Duration.ofMinutes(2);

    @TempDir
    static Path tmp;

    static DistributionRegistry upstream;
    static Fleet<GantryProcess> fleet;
    static List<GantryProcess> replicas;
    static NginxBalancer balancer;
    static Path skopeo;
    static Path authFile;
    static int copies;

    @BeforeAll
    static void start() throws Exception {
        skopeo = Tools.require("skopeo");
        Tools.require("nginx");
        upstream = DistributionRegistry.start(tmp.resolve("upstream"));
        fleet = Fleet.ofProcesses(tmp).upstream(upstream.url()).bucketPrefix("fleet/").diskMaxBytes("256MiB").hosted("local/")
                .users(Map.of("alice", "pw")).sharedTokenKey().config("server:\n  warmUp: 0s\n").fleetIds().balanced()
                .start("r0", "r1", "r2");
        replicas = fleet.replicas();
        balancer = fleet.balancer();
        authFile = Files.writeString(tmp.resolve("auth.json"), "{\"auths\":{}}");
    }

    @AfterAll
    static void stop() {
        if (fleet != null) {
            fleet.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    /** skopeo copy with a fresh destination; the result (exit status and output). */
    private static Tools.Result skopeo(String... args) {
        List<String> command = new ArrayList<>(List.of(skopeo.toString(), "copy", "-q", "--retry-times", "0"));
        command.addAll(List.of(args));
        return Tools.run(command, CLIENT_TIMEOUT);
    }

    private static Path pull(String reference, String... creds) {
        Path dir = tmp.resolve("copy-" + (++copies));
        List<String> args = new ArrayList<>(List.of("--src-tls-verify=false", "--src-authfile", authFile.toString()));
        args.addAll(List.of(creds));
        args.addAll(List.of("docker://" + balancer.hostPort() + "/" + reference, "dir:" + dir));
        Tools.Result r = skopeo(args.toArray(String[]::new));
        assertThat(r.exit()).as("skopeo pull of %s: %s", reference, r.stderr()).isZero();
        return dir;
    }

    /** The replicas nginx sent requests matching {@code pathPart} to, by its access log. */
    private static Set<String> replicasServing(String pathPart) {
        return balancer.accessLog().stream().filter(l -> l.contains(pathPart))
                .map(l -> l.substring(l.lastIndexOf(' ') + 1)).collect(Collectors.toSet());
    }

    @Test
    @Order(1)
    void anonymousAndLoggedInSkopeoPullsThroughTheBalancerSucceed() throws IOException {
        TestImage image = TestImage.builder().seed(1601).layer(400_000).layer(300_000).layer(200_000).build();
        new Pusher(upstream.url()).push("test/balanced", "1", image);

        Path anonymous = pull("test/balanced:1");
        Path loggedIn = pull("test/balanced:1", "--src-creds", "alice:pw");

        for (Path dir : List.of(anonymous, loggedIn)) {
            assertThat(Files.readAllBytes(dir.resolve("manifest.json"))).isEqualTo(image.manifest().bytes());
            for (TestImage.Blob b : image.layers()) {
                assertThat(Files.readAllBytes(dir.resolve(b.digest().hex()))).isEqualTo(b.bytes());
            }
        }
        assertThat(replicasServing("/v2/test/balanced/")).as("replicas that served the pulls' requests").hasSizeGreaterThan(1);
    }

    @Test
    @Order(2)
    void aSkopeoPushThroughTheBalancerSucceedsAndAnAnonymousPushIsRefused() throws IOException {
        TestImage image = TestImage.builder().seed(1602).layer(500_000).layer(250_000).build();
        new Pusher(upstream.url()).push("test/source", "1", image);
        Path source = pull("test/source:1");

        Tools.Result pushed = skopeo("--dest-tls-verify=false", "--dest-authfile", authFile.toString(),
                "--dest-creds", "alice:pw", "dir:" + source, "docker://" + balancer.hostPort() + "/local/skopeo:1");
        assertThat(pushed.exit()).as("skopeo push: %s", pushed.stderr()).isZero();
        Path back = pull("local/skopeo:1", "--src-creds", "alice:pw");
        assertThat(Files.readAllBytes(back.resolve(image.layers().get(0).digest().hex()))).isEqualTo(image.layers().get(0).bytes());
        assertThat(replicasServing("/v2/local/skopeo/")).as("replicas that served the push's requests").hasSizeGreaterThan(1);

        Http http = new Http(balancer.url());
        assertThat(http.send("POST", "/v2/local/anonymous/blobs/uploads/").status()).as("anonymous POST of an upload").isEqualTo(401);
        Tools.Result anonymous = skopeo("--dest-tls-verify=false", "--dest-authfile", authFile.toString(),
                "dir:" + source, "docker://" + balancer.hostPort() + "/local/anonymous:1");
        assertThat(anonymous.exit()).as("anonymous skopeo push").isNotZero();
        assertThat(http.get("/v2/local/anonymous/manifests/1", "Authorization", basicAlice()).status())
                .as("the anonymous push's manifest").isEqualTo(404);
    }

    @Test
    @Order(3)
    void aPodmanPushStreamedThroughTheBalancerSucceeds() throws IOException {
        Tools.requireRoot();
        try (Podman podman = Podman.create(tmp.resolve("podman"))) {
            Path conf = Files.writeString(tmp.resolve("registries.conf"), "unqualified-search-registries = []\n");
            Path rootfs = Files.createDirectories(tmp.resolve("rootfs"));
            byte[] payload = new byte[2_500_000];
            new Random(1603).nextBytes(payload);
            Files.write(rootfs.resolve("payload.bin"), payload);
            Path tar = tmp.resolve("rootfs.tar");
            Tools.runOk(List.of("tar", "-C", rootfs.toString(), "-cf", tar.toString(), "."), CLIENT_TIMEOUT);
            podman.podmanOk(conf, "import", tar.toString(), "localhost/podman-src:1");

            podman.podmanOk(conf, "push", "--tls-verify=false", "--creds", "alice:pw", "--authfile", authFile.toString(),
                    "localhost/podman-src:1", "docker://" + balancer.hostPort() + "/local/podman:1");

            Path back = pull("local/podman:1", "--src-creds", "alice:pw");
            assertThat(Files.exists(back.resolve("manifest.json"))).isTrue();
            // POST, PATCH (the layer streamed) and PUT of each blob, each its own request through the balancer.
            List<String> uploads = balancer.accessLog().stream().filter(l -> l.contains("/v2/local/podman/blobs/uploads/")).toList();
            assertThat(uploads).as("podman's upload requests").anySatisfy(l -> assertThat(l).startsWith("PATCH "))
                    .anySatisfy(l -> assertThat(l).startsWith("PUT "));
            assertThat(replicasServing("/v2/local/podman/blobs/uploads/")).as("replicas that served podman's uploads").hasSizeGreaterThan(1);
        }
    }

    @Test
    @Order(4)
    void killingAReplicaDuringConcurrentColdPullsFailsNoPullThatIsRetried() throws Exception {
        TestImage image = TestImage.builder().seed(1604).layers(8, 4_000_000).build();
        new Pusher(upstream.url()).push("test/killed", "1", image);
        GantryProcess victim = replicas.get(1);
        int pulls = 4;
        List<CompletableFuture<Integer>> running = IntStream.range(0, pulls).mapToObj(i -> CompletableFuture.supplyAsync(() -> {
            for (int attempt = 1; attempt <= 3; attempt++) {
                Path dir = tmp.resolve("killed-" + i + "-" + attempt);
                Tools.Result r = skopeo("--src-tls-verify=false", "--src-authfile", authFile.toString(),
                        "docker://" + balancer.hostPort() + "/test/killed:1", "dir:" + dir);
                if (r.exit() == 0) {
                    return attempt;
                }
            }
            return -1;
        })).toList();
        // Killed once it serves this image's blobs: mid-pull, with fills in flight.
        Awaits.until(() -> victim.output().stream().anyMatch(l -> l.contains("/v2/test/killed/blobs/")),
                Duration.ofSeconds(60), "the victim serving the pulls' blobs");
        long inFlight = running.stream().filter(f -> !f.isDone()).count();
        victim.kill9();
        assertThat(inFlight).as("pulls still running when the replica was killed").isPositive();
        List<Integer> attempts = running.stream().map(CompletableFuture::join).toList();
        System.out.println("fleet balancer: " + inFlight + " of " + pulls + " pulls running at the kill; attempts per pull: " + attempts);
        assertThat(attempts).as("attempts of each pull (-1: failed three times)").allSatisfy(a -> assertThat(a).isPositive());
        assertThat(victim.isAlive()).isFalse();
    }

    private static String basicAlice() {
        return "Basic " + Base64.getEncoder().encodeToString("alice:pw".getBytes(StandardCharsets.UTF_8));
    }
}
