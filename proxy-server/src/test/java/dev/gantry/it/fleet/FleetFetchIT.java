package dev.gantry.it.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.fleet.Member;
import dev.gantry.fleet.Rendezvous;
import dev.gantry.oci.Digest;
import dev.gantry.oci.MediaTypes;
import dev.gantry.testing.Awaits;
import dev.gantry.testing.DistributionRegistry;
import dev.gantry.testing.Fleet;
import dev.gantry.testing.GantryProcess;
import dev.gantry.testing.Http;
import dev.gantry.testing.Pusher;
import dev.gantry.testing.ScriptedUpstream;
import dev.gantry.testing.TestImage;
import dev.gantry.upstream.PeerFetch;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three replicas, each its own process, on one S3Proxy bucket and one shared
 * token key, in front of a real Distribution registry (reached through a
 * front that adds latency, so fills overlap and a kill lands mid-pull);
 * requests are counted in Distribution's access log. Concurrent cold pulls
 * spread over the replicas cost the upstream one GET per blob and per
 * manifest; a replica killed mid-pull costs retries, never a failed pull;
 * the peer channel answers no one without the fleet's secret.
 */
class FleetFetchIT {

    private static final Duration UPSTREAM_LATENCY = Duration.ofMillis(300);
    private static final int PULLS = 8;

    @TempDir
    static Path tmp;

    static DistributionRegistry hub;
    static ScriptedUpstream front;
    static Fleet<GantryProcess> fleet;
    static List<GantryProcess> replicas;
    static final HttpClient forward = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    static void start() throws IOException {
        hub = DistributionRegistry.start(tmp.resolve("hub"));
        front = new ScriptedUpstream(FleetFetchIT::slowly);
        fleet = Fleet.ofProcesses(tmp).upstream(front.url()).config("prefetch:\n  mode: \"off\"\n").sharedTokenKey()
                .diskMaxBytes("256MiB").bucketPrefix("mirror/").fleetIds().start("replica-0", "replica-1", "replica-2");
        replicas = fleet.replicas();
        for (GantryProcess r : replicas) {
            Awaits.until(() -> Fleet.memberIds(r), ids -> ids.size() == 3, Duration.ofSeconds(20));
        }
    }

    @AfterAll
    static void stop() throws IOException {
        if (fleet != null) {
            fleet.close();
        }
        if (front != null) {
            front.close();
        }
        if (hub != null) {
            hub.close();
        }
    }

    /** The hub as far away as a remote one: each request waits, then Distribution answers it. */
    private static ScriptedUpstream.Answer slowly(ScriptedUpstream.Request r) {
        try {
            Thread.sleep(UPSTREAM_LATENCY.toMillis());
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(hub.url() + r.path()))
                    .method(r.method(), HttpRequest.BodyPublishers.noBody());
            String accept = r.headers().get("accept");
            if (accept != null) {
                b.header("Accept", accept);
            }
            HttpResponse<byte[]> got = forward.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            Map<String, String> headers = new LinkedHashMap<>();
            for (String h : List.of("Content-Type", "Docker-Content-Digest")) {
                got.headers().firstValue(h).ifPresent(v -> headers.put(h, v));
            }
            long length = got.headers().firstValueAsLong("Content-Length").orElse(got.body().length);
            headers.put("Content-Length", Long.toString(r.method().equals("HEAD") ? length : got.body().length));
            return ScriptedUpstream.Answer.of(got.statusCode(), headers, r.method().equals("HEAD") ? new byte[0] : got.body(), false);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static TestImage pushed(String repository, long seed) {
        TestImage image = TestImage.builder().seed(seed).layers(12, 400_000).build();
        new Pusher(hub.url()).push(repository, "v1", image);
        hub.resetLog();
        return image;
    }

    /**
     * One client's pull through a round-robin balancer: the manifest from one
     * replica, each blob from the next; a request that fails (a dead replica,
     * a broken fill) is retried on the next replica, as a client retries
     * through the balancer. Every blob is checked against its digest.
     */
    private static int pull(String repository, TestImage image, int first) {
        AtomicInteger turn = new AtomicInteger(first);
        AtomicInteger retries = new AtomicInteger();
        byte[] manifest = fetch("/v2/" + repository + "/manifests/v1", turn, retries);
        assertThat(Digest.sha256(manifest)).isEqualTo(image.digest());
        for (TestImage.Blob b : image.blobs()) {
            if (b.digest().equals(image.digest())) {
                continue;
            }
            byte[] body = fetch("/v2/" + repository + "/blobs/" + b.digest(), turn, retries);
            assertThat(Digest.sha256(body)).as("blob %s", b.digest()).isEqualTo(b.digest());
        }
        return retries.get();
    }

    private static byte[] fetch(String path, AtomicInteger turn, AtomicInteger retries) {
        String last = null;
        for (int attempt = 0; attempt < 6; attempt++) {
            GantryProcess r = replicas.get(Math.floorMod(turn.getAndIncrement(), replicas.size()));
            try {
                Http.Response got = new Http(r.url()).get(path, "Accept", MediaTypes.OCI_MANIFEST);
                if (got.status() == 200) {
                    return got.body();
                }
                last = r.url() + " answered " + got.status() + ": " + got.text();
            } catch (UncheckedIOException e) {
                last = r.url() + ": " + e.getCause();
            }
            retries.incrementAndGet();
        }
        throw new AssertionError("no replica served " + path + "; last: " + last);
    }

    private static List<Integer> concurrentPulls(String repository, TestImage image) {
        for (GantryProcess r : replicas) {
            // Every replica must see the same members (a restarted one rejoins): else they pick different owners.
            Awaits.until(() -> Fleet.memberIds(r), ids -> ids.size() == 3, Duration.ofSeconds(20));
        }
        ExecutorService pool = Executors.newFixedThreadPool(PULLS);
        try {
            List<CompletableFuture<Integer>> pulls = new ArrayList<>();
            for (int i = 0; i < PULLS; i++) {
                int first = i;
                pulls.add(CompletableFuture.supplyAsync(() -> pull(repository, image, first), pool));
            }
            return pulls.stream().map(CompletableFuture::join).toList();
        } finally {
            pool.shutdownNow();
        }
    }

    private static long distinctBlobs(TestImage image) {
        return image.blobs().stream().filter(b -> !b.digest().equals(image.digest())).count();
    }

    @Test
    void concurrentColdPullsOverEveryReplicaFetchEachBlobAndTheManifestOnceFromTheUpstream() {
        TestImage image = pushed("library/once", 161);
        double fromOwnersBefore = fills("fleet");
        double fromUpstreamBefore = fills("upstream");
        List<Integer> retries = concurrentPulls("library/once", image);
        long blobGets = hub.count(DistributionRegistry.Request::isBlobGet);
        long manifestGets = hub.count(DistributionRegistry.Request::isManifestGet);
        System.out.println("fleet fetch: " + PULLS + " pulls, " + distinctBlobs(image) + " distinct blobs -> upstream blob GETs "
                + blobGets + ", manifest GETs " + manifestGets + "; client retries " + retries);
        assertThat(retries).as("client retries").allMatch(n -> n == 0);
        assertThat(blobGets).as("upstream blob GETs").isEqualTo(distinctBlobs(image));
        assertThat(manifestGets).as("upstream manifest GETs").isEqualTo(1);
        // Non-owners filled from the owners (and left the bucket to them): the blobs moved replica to replica.
        assertThat(fills("fleet") - fromOwnersBefore).as("fills from the owning replica").isGreaterThan(0);
        assertThat(fills("upstream") - fromUpstreamBefore).as("fills from the upstream").isEqualTo(distinctBlobs(image));
    }

    private static double fills(String source) {
        return replicas.stream().mapToDouble(r -> fills(r, source)).sum();
    }

    /** Committed fills by source, from a replica's metrics. */
    private static double fills(GantryProcess replica, String source) {
        String prefix = "gantry_fills_total{result=\"committed\",source=\"" + source + "\"}";
        return new Http(replica.url()).get("/metrics").text().lines().filter(l -> l.startsWith(prefix))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    @Test
    void thePeerChannelRefusesWhoeverLacksTheFleetsSecret() {
        Http http = new Http(replicas.get(0).url());
        String blob = "/v2/_gantry/fleet/library/once/blobs/sha256:" + "0".repeat(64) + "?ns=docker.io";
        assertThat(http.get(blob).status()).as("anonymous").isEqualTo(401);
        assertThat(http.get(blob, "Authorization", "Gantry-Peer 99999999999.AAAA").status()).as("a forged credential").isEqualTo(401);
        assertThat(http.get("/v2/_gantry/fleet/library/once/manifests/v1?ns=docker.io").status()).as("anonymous manifest")
                .isEqualTo(401);
        assertThat(hub.count(r -> r.path().contains("0000000000000000"))).as("requests the refusals caused upstream").isZero();
    }

    @Test
    void anOwnerKilledMidPullCostsRetriesNotPulls() throws InterruptedException {
        TestImage image = pushed("library/killed", 162);
        List<Member> members = List.of(member("replica-0"), member("replica-1"), member("replica-2"));
        TestImage.Blob largest = image.layers().get(0);
        String victimId = Rendezvous.owner(PeerFetch.blobKey(largest.digest()), members).id();
        GantryProcess victim = replicas.get(Integer.parseInt(victimId.substring("replica-".length())));
        ExecutorService killer = Executors.newSingleThreadExecutor();
        try {
            CompletableFuture<Long> killed = CompletableFuture.supplyAsync(() -> {
                // Mid-pull: once the upstream has been asked for blobs, fills are running on the owners.
                Awaits.until(() -> hub.count(DistributionRegistry.Request::isBlobGet) > 0, Duration.ofSeconds(30), "first blob GET");
                long inFlight = hub.count(DistributionRegistry.Request::isBlobGet);
                victim.kill9();
                return inFlight;
            }, killer);
            List<Integer> retries = concurrentPulls("library/killed", image);
            long atKill = killed.join();
            long blobGets = hub.count(DistributionRegistry.Request::isBlobGet);
            System.out.println("fleet fetch, " + victimId + " killed mid-pull: " + distinctBlobs(image) + " distinct blobs -> upstream blob GETs "
                    + blobGets + " (" + atKill + " when killed); client retries " + retries);
            assertThat(victim.isAlive()).isFalse();
            // Each blob once; a blob the victim owned may be fetched twice: by the victim, then by the survivor that owns it next.
            long victimOwned = image.blobs().stream()
                    .filter(b -> Rendezvous.owner(PeerFetch.blobKey(b.digest()), members).id().equals(victimId)).count();
            assertThat(blobGets).as("upstream blob GETs (victim owned %d)", victimOwned)
                    .isLessThanOrEqualTo(distinctBlobs(image) + victimOwned);
        } finally {
            killer.shutdownNow();
            killer.awaitTermination(5, TimeUnit.SECONDS);
            victim.restart();
        }
    }

    private static Member member(String id) {
        return new Member(id, null, null, null, null, "bucket");
    }
}
