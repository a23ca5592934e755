package dev.gantry.it.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.config.FleetConfig;
import dev.gantry.config.UpstreamConfig;
import dev.gantry.fleet.Fleet;
import dev.gantry.fleet.Member;
import dev.gantry.fleet.PeerNews;
import dev.gantry.storage.S3Bucket;
import dev.gantry.storage.S3MetadataStore;
import dev.gantry.storage.StorageLayout;
import dev.gantry.testing.Awaits;
import dev.gantry.testing.CountingMetadataStore;
import dev.gantry.testing.S3ProxyServer;
import dev.gantry.upstream.Upstream;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the fleet's poll costs on a real S3 API server (S3Proxy on its
 * filesystem backend, as {@code testing.Fleet} runs it, LastModified to the
 * second): three replicas' fleets at the default timings without a peer
 * channel (heartbeat 5 s, poll 500 ms, member TTL 15 s) on one bucket, each
 * store counting its requests.
 * A quiet fleet lists and beats and reads no member's record; a rate-limit
 * reading is read by the others on their next poll; a replica that stops
 * beating drops out by its LastModified. Prints the requests per replica per
 * minute. (The filesystem backend lists a PUT's temporary file for a moment,
 * {@code r0-<uuid>}, which a replica may then ask for once; S3 lists no
 * object before its PUT completes, so only the members' keys are asserted.)
 */
class FleetPollIT {

    private static final FleetConfig CONFIG = FleetConfig.defaults();
    /** Without a peer channel ({@link PeerNews#NONE}): the bucket is the only way a reading travels. */
    private static final Duration POLL = CONFIG.poll(false);
    private static final String BUCKET = "gantry";

    @TempDir
    static Path tmp;

    static S3ProxyServer s3;

    private S3Bucket bucket;
    private final List<Replica> replicas = new ArrayList<>();

    private record Replica(Fleet fleet, ScheduledExecutorService scheduler, CountingMetadataStore requests, Upstream upstream) {
        List<String> peers() {
            return fleet.members().stream().filter(m -> m.source().equals("bucket")).map(Member::id).toList();
        }

        int[] counts() {
            return new int[] {requests.count("LIST"), requests.count("GET"), requests.count("PUT")};
        }
    }

    @BeforeAll
    static void startServer() {
        s3 = S3ProxyServer.start(tmp.resolve("s3"));
        s3.createBucket(BUCKET);
    }

    @AfterAll
    static void stopServer() {
        if (s3 != null) {
            s3.close();
        }
    }

    @BeforeEach
    void startFleet() {
        // A prefix per test: a bucket of its own.
        bucket = S3Bucket.open(s3.config(BUCKET, "t-" + UUID.randomUUID() + "/"));
        S3MetadataStore shared = new S3MetadataStore(bucket);
        for (int i = 0; i < 3; i++) {
            CountingMetadataStore requests = new CountingMetadataStore(shared);
            Upstream upstream = new Upstream(new UpstreamConfig("docker.io", "http://127.0.0.1:1", true), Clock.systemUTC());
            ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
            String address = "127.0.0.1:" + (5000 + i); // one each: the fleet counts one member per address
            Fleet fleet = new Fleet("r" + i, () -> address, "test", requests, List.of(upstream),
                    CONFIG, Clock.systemUTC(), scheduler, PeerNews.NONE);
            replicas.add(new Replica(fleet, scheduler, requests, upstream));
        }
        replicas.forEach(r -> r.fleet().start());
        for (Replica r : replicas) {
            Awaits.until(r::peers, p -> p.size() == 2, Duration.ofSeconds(10));
        }
    }

    @AfterEach
    void stopFleet() throws InterruptedException {
        for (Replica r : replicas) {
            r.scheduler().shutdownNow();
            r.scheduler().awaitTermination(5, TimeUnit.SECONDS);
            r.fleet().close();
        }
        bucket.close();
    }

    @Test
    void aQuietFleetOnS3ListsAndBeatsButReadsNoRecord() {
        List<int[]> before = replicas.stream().map(Replica::counts).toList();
        List<Map<String, Integer>> gets = replicas.stream().map(r -> Stream.of("r0", "r1", "r2").map(StorageLayout::fleetMemberKey)
                .collect(Collectors.toMap(k -> k, k -> r.requests().count("GET", k)))).toList();
        long start = System.nanoTime();
        int polls = 24; // 12 s at 500 ms
        for (int i = 0; i < replicas.size(); i++) {
            Replica r = replicas.get(i);
            int lists = before.get(i)[0];
            Awaits.until(() -> r.requests().count("LIST") >= lists + polls, Duration.ofSeconds(30), "polls of " + r.fleet().id());
        }
        double minutes = (System.nanoTime() - start) / 60e9;
        for (int i = 0; i < replicas.size(); i++) {
            Replica r = replicas.get(i);
            int[] now = r.counts();
            int[] was = before.get(i);
            System.out.printf("fleet poll: %s per minute: LIST %.0f, GET %.0f, PUT %.0f (over %.1f s)%n", r.fleet().id(),
                    (now[0] - was[0]) / minutes, (now[1] - was[1]) / minutes, (now[2] - was[2]) / minutes, minutes * 60);
            for (String member : List.of("r0", "r1", "r2")) {
                String key = StorageLayout.fleetMemberKey(member);
                assertThat(r.requests().count("GET", key) - gets.get(i).get(key)).as("GETs by %s of %s, unchanged", r.fleet().id(), key)
                        .isZero();
            }
            // A heartbeat is due one heartbeat after the last, and waits for the next poll.
            long span = polls * POLL.toMillis();
            assertThat(now[2] - was[2]).as("heartbeats of %s over %d polls", r.fleet().id(), polls).isBetween(
                    (int) (span / (CONFIG.heartbeat().toMillis() + POLL.toMillis())) - 1, (int) (span / CONFIG.heartbeat().toMillis()) + 2);
            assertThat(r.peers()).as("members %s sees", r.fleet().id()).hasSize(2);
        }
    }

    @Test
    void aRateLimitReadingIsReadByEveryOtherReplicaOnItsNextPoll() {
        String key = StorageLayout.fleetMemberKey("r0");
        int[] gets = replicas.stream().mapToInt(r -> r.requests().count("GET", key)).toArray();
        DefaultHttpHeaders headers = new DefaultHttpHeaders();
        headers.add("ratelimit-limit", "100;w=21600").add("ratelimit-remaining", "42;w=21600");
        long heard = System.nanoTime();
        replicas.get(0).upstream().rateLimit().record(200, headers);
        for (Replica r : replicas.subList(1, 3)) {
            // Two polls (~1 s) by design; 4.5 s on a loaded machine, still under the next heartbeat's 5 s.
            Awaits.until(() -> r.upstream().rateLimit().snapshot().remaining() == 42, Duration.ofMillis(4500),
                    "the reading on " + r.fleet().id());
        }
        System.out.printf("fleet poll: a reading reached every replica in %d ms%n", (System.nanoTime() - heard) / 1_000_000);
        for (int i = 1; i < 3; i++) {
            assertThat(replicas.get(i).requests().count("GET", key)).as("GETs of r0's changed record by r%d", i)
                    .isGreaterThan(gets[i]);
        }
    }

    @Test
    void aReplicaThatStopsBeatingDropsOutAfterTheMemberTtl() {
        Replica dead = replicas.get(2);
        List<Replica> survivors = replicas.subList(0, 2);
        int[] gets = survivors.stream().mapToInt(FleetPollIT::memberRecordGets).toArray();
        dead.scheduler().shutdownNow(); // no more heartbeats, and its record stays
        long stopped = System.nanoTime();
        for (Replica r : survivors) {
            Awaits.until(r::peers, p -> !p.contains("r2"), CONFIG.memberTtl().plusSeconds(5));
        }
        Duration took = Duration.ofNanos(System.nanoTime() - stopped);
        System.out.printf("fleet poll: a replica that stopped beating dropped out after %d ms%n", took.toMillis());
        // Its last beat may have been up to a heartbeat before it stopped.
        assertThat(took).as("time to drop out").isGreaterThanOrEqualTo(CONFIG.memberTtl().minus(CONFIG.heartbeat()));
        // Of the members' records only: S3Proxy lists a PUT's temporary file for a moment (see the class comment).
        assertThat(survivors.stream().mapToInt(FleetPollIT::memberRecordGets).toArray()).as("GETs of records while it died")
                .containsExactly(gets);
    }

    private static int memberRecordGets(Replica r) {
        return IntStream.range(0, 3).map(i -> r.requests().count("GET", StorageLayout.fleetMemberKey("r" + i))).sum();
    }
}
