package dev.gantry.it.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gantry.oci.MediaTypes;
import dev.gantry.testing.Awaits;
import dev.gantry.testing.Fleet;
import dev.gantry.testing.GantryServer;
import dev.gantry.testing.Http;
import dev.gantry.testing.ScriptedUpstream;
import dev.gantry.testing.TestImage;
import dev.gantry.upstream.RateLimitState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three replicas on one S3Proxy bucket in front of a scripted hub that
 * speaks Docker Hub's rate limit ({@code ratelimit-*} headers, 429 with
 * {@code Retry-After}): the replicas know each other, share one budget, and
 * one 429 stops all of them until the {@code Retry-After} passes, counted at
 * the hub.
 */
class FleetBudgetIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int RETRY_AFTER_SECONDS = 5;
    /**
     * The bound asserted here. The design's is one poll (500 ms) after the
     * replica that heard it publishes, and the figure is printed below
     * (0.3-0.6 s on this machine at load 20); on a machine shared with other
     * builds one was measured at 2.9 s, so the test asserts 4.5 s: it fails
     * when propagation falls back to the member TTL (15 s), and when the push
     * breaks and the next poll (every 5 s) comes late.
     */
    private static final Duration PROPAGATION = Duration.ofMillis(4500);

    @TempDir
    static Path tmp;

    static ScriptedUpstream hub;
    static Fleet<GantryServer> fleet;
    static List<GantryServer> replicas;
    static final TestImage image = TestImage.builder().seed(16).layer(1_000).build();
    /** Hub state: pulls left, whether it refuses with 429, and when each request arrived (nanoTime). */
    static final AtomicInteger remaining = new AtomicInteger(90);
    static volatile boolean limited;
    static final List<Long> arrivals = new CopyOnWriteArrayList<>();
    static final AtomicLong first429 = new AtomicLong();

    @BeforeAll
    static void start() throws IOException {
        hub = new ScriptedUpstream(FleetBudgetIT::dockerHub);
        // The fleet's shared key: what opens the peer channel on which a 429 reaches the others at once.
        fleet = Fleet.inProcess(tmp).upstream(hub.url()).config("prefetch:\n  mode: \"off\"\n").sharedTokenKey()
                .diskMaxBytes("64MiB").bucketPrefix("mirror/").fleetIds().start("replica-0", "replica-1", "replica-2");
        replicas = fleet.replicas();
    }

    @AfterAll
    static void stop() throws IOException {
        if (fleet != null) {
            fleet.close();
        }
        if (hub != null) {
            hub.close();
        }
    }

    /** Docker Hub as far as rate limits go: every manifest request counts, a spent budget is a 429 with Retry-After. */
    private static ScriptedUpstream.Answer dockerHub(ScriptedUpstream.Request r) {
        long now = System.nanoTime();
        arrivals.add(now);
        if (limited) {
            first429.compareAndSet(0, now);
            byte[] body = ("{\"errors\":[{\"code\":\"TOOMANYREQUESTS\",\"message\":\"You have reached your pull rate limit.\"}]}")
                    .getBytes(StandardCharsets.UTF_8);
            return ScriptedUpstream.Answer.of(429, Map.of("Content-Type", "application/json", "Content-Length", "" + body.length,
                    "Retry-After", "" + RETRY_AFTER_SECONDS, "ratelimit-limit", "100;w=21600", "ratelimit-remaining", "0;w=21600"),
                    body, false);
        }
        if (!r.path().contains("/manifests/")) {
            return ScriptedUpstream.Answer.of(404, Map.of("Content-Length", "0"), new byte[0], false);
        }
        byte[] manifest = image.manifest().bytes();
        Map<String, String> headers = Map.of("Content-Type", MediaTypes.OCI_MANIFEST,
                "Content-Length", "" + manifest.length, "Docker-Content-Digest", image.digest().toString(),
                "ratelimit-limit", "100;w=21600", "ratelimit-remaining", remaining.decrementAndGet() + ";w=21600");
        return ScriptedUpstream.Answer.of(200, headers, r.method().equals("HEAD") ? new byte[0] : manifest, false);
    }

    private static JsonNode status(GantryServer replica) {
        try {
            return JSON.readTree(new Http(replica.url()).get("/v2/_gantry/status").body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Http.Response manifest(GantryServer replica, String tag) {
        return new Http(replica.url()).get("/v2/library/fleet/manifests/" + tag, "Accept", MediaTypes.OCI_MANIFEST);
    }

    private static Set<String> memberIds(JsonNode status) {
        Set<String> ids = new TreeSet<>();
        status.path("fleet").path("members").forEach(m -> ids.add(m.path("id").asText()));
        return ids;
    }

    private static JsonNode budget(GantryServer replica) {
        return status(replica).path("fleet").path("budget").path("docker.io");
    }

    /**
     * Waits until every replica's rate-limit state satisfies {@code done}
     * (read in-process: a status request's own latency on a loaded machine
     * would be counted as propagation), then checks their status pages show
     * it; returns how long the state took from {@code since}.
     */
    private static Duration untilEveryReplica(java.util.function.Predicate<RateLimitState> done,
                                              java.util.function.Predicate<JsonNode> budgetShown, long since, Duration within) {
        List<Long> each = new ArrayList<>();
        for (GantryServer r : replicas) {
            RateLimitState state = r.gantry().upstreams().get(0).rateLimit();
            Awaits.until(() -> done.test(state), Duration.ofSeconds(10), "rate-limit state of " + r.url());
            each.add(Duration.ofNanos(System.nanoTime() - since).toMillis());
        }
        Duration took = Duration.ofNanos(System.nanoTime() - since);
        System.out.println("fleet budget: per replica (ms, cumulative) " + each);
        assertThat(took).as("propagation to every replica").isLessThanOrEqualTo(within);
        replicas.forEach(r -> {
            JsonNode shown = budget(r);
            assertThat(budgetShown.test(shown)).as("fleet budget on %s's status page: %s", r.url(), shown).isTrue();
        });
        return took;
    }

    @Test
    void fleetNewsIsTakenOnlyFromTheFleet() {
        Http http = new Http(replicas.get(0).url());
        assertThat(http.send("POST", "/v2/_gantry/fleet/news", new byte[0], "Gantry-Fleet-News", "e30").status())
                .as("news without the fleet's credential").isEqualTo(401);
        assertThat(http.send("POST", "/v2/_gantry/fleet/news", new byte[0], "Authorization", "Gantry-Peer 1.AAAA",
                "Gantry-Fleet-News", "e30").status()).as("news with a forged credential").isEqualTo(401);
    }

    @Test
    void everyReplicaListsEveryMemberAndCountsThemInTheGauge() {
        Set<String> all = Set.of("replica-0", "replica-1", "replica-2");
        for (GantryServer r : replicas) {
            Awaits.until(() -> status(r), s -> memberIds(s).equals(all), Duration.ofSeconds(10));
            JsonNode members = status(r).path("fleet").path("members");
            members.forEach(m -> assertThat(m.path("address").asText()).as("advertised address of %s", m.path("id"))
                    .matches("127\\.0\\.0\\.1:\\d+"));
            assertThat(new Http(r.url()).get("/metrics").text()).contains("gantry_fleet_members 3.0");
        }
        Set<String> addresses = replicas.stream().map(GantryServer::hostPort).collect(Collectors.toSet());
        assertThat(status(replicas.get(0)).path("fleet").path("members").findValuesAsText("address")).containsExactlyInAnyOrderElementsOf(addresses);
    }

    @Test
    void whatOneReplicaHearsOfTheBudgetEveryReplicaShowsWithinASecond() {
        int before = arrivals.size();
        assertThat(manifest(replicas.get(0), "budget").status()).isEqualTo(200);
        // From the moment the hub answered: the client's own response may come later than the fleet's news.
        long heard = arrivals.get(before);
        long expected = remaining.get();
        Duration took = untilEveryReplica(st -> st.snapshot().remaining() == expected,
                b -> b.path("remaining").asLong() == expected, heard, PROPAGATION);
        System.out.println("fleet budget: remaining=" + expected + " reached every replica in " + took.toMillis() + " ms");
    }

    @Test
    void oneFourTwentyNineStopsEveryReplicaUntilRetryAfterPasses() {
        limited = true;
        for (GantryServer r : replicas) {
            // The news goes to the members each replica knows: all of them, before the hub's 429.
            Awaits.until(() -> status(r), st -> memberIds(st).size() == 3, Duration.ofSeconds(10));
        }
        Http.Response refused = manifest(replicas.get(1), "first");
        assertThat(refused.status()).isEqualTo(429);
        long hubRefused = first429.get();
        assertThat(hubRefused).as("the hub's 429").isNotZero();
        // At once, without waiting for any poll: the replica that heard the 429 told the others before
        // it answered, so every replica waits already, and none sends the hub another request.
        int atRefusal = arrivals.size();
        // The news waits at most a second for the others (NEWS_WAIT) before the 429 is answered: on a loaded machine
        // a peer may adopt it just after. What must hold is that none asks the hub again, checked below.
        for (GantryServer r : replicas) {
            RateLimitState state = r.gantry().upstreams().get(0).rateLimit();
            Awaits.until(state::backingOff, Duration.ofSeconds(3), r.url() + " waiting once the 429 is answered");
        }
        for (int k = 0; k < replicas.size(); k++) {
            Http.Response held = manifest(replicas.get(k), "at-once-" + k);
            assertThat(held.status()).as("a tag nothing cached, asked of replica %d right after the 429", k).isEqualTo(429);
        }
        assertThat(arrivals.size()).as("requests at the hub after its 429, from any replica").isEqualTo(atRefusal);
        Duration took = untilEveryReplica(RateLimitState::backingOff, b -> b.path("backingOff").asBoolean(), hubRefused, PROPAGATION);
        System.out.println("fleet budget: a 429 stopped every replica " + took.toMillis() + " ms after the hub sent it");
        int atHub = arrivals.size();
        limited = false; // the hub would answer now: only Gantry's own restraint keeps requests away

        long retryAfterEnds = hubRefused + Duration.ofSeconds(RETRY_AFTER_SECONDS).toNanos();
        int asked = 0;
        while (System.nanoTime() < retryAfterEnds - Duration.ofMillis(500).toNanos()) {
            GantryServer r = replicas.get(asked % replicas.size());
            Http.Response held = manifest(r, "uncached-" + asked++);
            assertThat(held.status()).as("a tag nothing cached, while Retry-After runs").isEqualTo(429);
            assertThat(held.text()).contains("TOOMANYREQUESTS");
            assertThat(Long.parseLong(held.header("Retry-After"))).isBetween(1L, (long) RETRY_AFTER_SECONDS);
        }
        assertThat(asked).isGreaterThanOrEqualTo(replicas.size());
        assertThat(arrivals.size()).as("requests at the hub while Retry-After ran, after %d client requests", asked).isEqualTo(atHub);

        Awaits.until(() -> manifest(replicas.get(2), "after").status(), s -> s == 200, Duration.ofSeconds(RETRY_AFTER_SECONDS + 5));
        long firstAfter = arrivals.get(atHub);
        assertThat(Duration.ofNanos(firstAfter - hubRefused)).as("the first request the hub saw after its 429")
                .isGreaterThanOrEqualTo(Duration.ofSeconds(RETRY_AFTER_SECONDS).minusMillis(50));
    }
}
