package dev.gantry.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.config.FleetConfig;
import dev.gantry.config.UpstreamConfig;
import dev.gantry.storage.DiskMetadataStore;
import dev.gantry.storage.MetadataStore;
import dev.gantry.storage.MetadataStoreEntry;
import dev.gantry.storage.StorageLayout;
import dev.gantry.testing.CountingMetadataStore;
import dev.gantry.testing.MutableClock;
import dev.gantry.upstream.Upstream;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a fleet's poll of the bucket costs and what it still carries, on a
 * real disk store standing in for the bucket, whose LastModified is the
 * bucket's own clock kept to the second as S3 keeps it, and replicas whose
 * clocks disagree with it by an hour either way. Each replica's store counts
 * its requests; each poll is one step the test takes (the fleet's scheduler
 * runs its work only when told), with every clock moved by one poll first.
 */
class FleetPollTest {

    private static final FleetConfig CONFIG = FleetConfig.defaults(); // heartbeat 5s, memberTtl 15s
    /** The replicas here have no peer channel: the bucket is the only way a reading travels. */
    private static final Duration POLL = CONFIG.poll(false);
    private static final String R0 = StorageLayout.fleetMemberKey("r0");

    @TempDir
    Path tmp;

    private final MutableClock bucketClock = new MutableClock(Instant.parse("2026-12-07T08:00:00.250Z"));
    private ClockedBucket bucket;
    private final List<Replica> replicas = new ArrayList<>();
    private final Map<String, Fleet> byId = new ConcurrentHashMap<>();
    private final AtomicInteger newsSent = new AtomicInteger();
    /** A peer channel: each news a replica sends is the receiver's {@link Fleet#receive}, at once. */
    private final PeerNews channel = (peer, record) -> {
        newsSent.incrementAndGet();
        try {
            byId.get(peer.id()).receive(record);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return CompletableFuture.completedFuture(null);
    };

    /** One replica: its fleet, its own clock and scheduler, and what it asked of the bucket. */
    private record Replica(Fleet fleet, MutableClock clock, StepScheduler scheduler, CountingMetadataStore requests,
                           Upstream upstream) {
        void poll() {
            scheduler.step();
        }

        int gets() {
            return requests.count("GET");
        }

        List<String> peers() {
            return fleet.members().stream().filter(m -> m.source().equals("bucket")).map(Member::id).toList();
        }
    }

    @BeforeEach
    void start() throws IOException {
        bucket = new ClockedBucket(new DiskMetadataStore(tmp), bucketClock);
        replicas.add(replica("r0", Duration.ZERO));
        replicas.add(replica("r1", Duration.ofHours(1)));
        replicas.add(replica("r2", Duration.ofHours(-1)));
    }

    @AfterEach
    void stop() {
        replicas.forEach(r -> r.scheduler().shutdownNow());
    }

    private Replica replica(String id, Duration skew) {
        return replica(id, skew, PeerNews.NONE);
    }

    private Replica replica(String id, Duration skew, PeerNews news) {
        return replica(id, skew, news, "127.0.0.1:" + (5000 + replicas.size()));
    }

    private Replica replica(String id, Duration skew, PeerNews news, String address) {
        MutableClock clock = new MutableClock(bucketClock.instant().plus(skew));
        StepScheduler scheduler = new StepScheduler();
        CountingMetadataStore requests = new CountingMetadataStore(bucket);
        Upstream upstream = new Upstream(new UpstreamConfig("docker.io", "http://127.0.0.1:1", true), clock);
        Fleet fleet = new Fleet(id, () -> address, "test", requests, List.of(upstream), CONFIG,
                clock, scheduler, news);
        byId.put(id, fleet);
        fleet.start();
        return new Replica(fleet, clock, scheduler, requests, upstream);
    }

    /** Moves every clock by one poll, then lets each of {@code polling} poll once. */
    private void round(List<Replica> polling) {
        round(polling, POLL);
    }

    private void round(List<Replica> polling, Duration poll) {
        bucketClock.advance(poll);
        replicas.forEach(r -> r.clock().advance(poll));
        polling.forEach(Replica::poll);
    }

    private void rounds(int n) {
        for (int i = 0; i < n; i++) {
            round(replicas);
        }
    }

    /** Replaces the three replicas (not polled yet) by three that share the {@link #channel}. */
    private void shareAPeerChannel() {
        replicas.forEach(r -> r.scheduler().shutdownNow());
        replicas.clear();
        replicas.add(replica("r0", Duration.ZERO, channel));
        replicas.add(replica("r1", Duration.ofHours(1), channel));
        replicas.add(replica("r2", Duration.ofHours(-1), channel));
    }

    private int[] lists() {
        return replicas.stream().mapToInt(r -> r.requests().count("LIST")).toArray();
    }

    @Test
    void withAPeerChannelAReadingReachesEveryMemberAtOnceAndTheBucketIsListedEveryFiveSeconds() {
        shareAPeerChannel();
        Duration poll = FleetConfig.POLL_WITH_PEER_CHANNEL;
        replicas.forEach(r -> assertThat(r.scheduler().period()).as("poll of %s", r.fleet().id()).isEqualTo(poll));
        for (int i = 0; i < 2; i++) {
            round(replicas, poll);
        }
        replicas.forEach(r -> assertThat(r.peers()).as("members %s sees", r.fleet().id()).hasSize(2));
        int[] lists = lists();

        Replica heard = replicas.get(0);
        DefaultHttpHeaders headers = new DefaultHttpHeaders();
        headers.add("ratelimit-limit", "100;w=21600").add("ratelimit-remaining", "42;w=21600");
        heard.upstream().rateLimit().record(200, headers);
        heard.scheduler().runTasks(); // the publish the reading asked for, no poll

        for (Replica other : replicas.subList(1, 3)) {
            assertThat(other.upstream().rateLimit().snapshot().remaining()).as("the reading on %s, before it polls",
                    other.fleet().id()).isEqualTo(42);
        }
        assertThat(lists()).as("LISTs: none was needed").containsExactly(lists);
    }

    /**
     * A replica killed and started again at the same address, under a new id, leaves its earlier record
     * for one member TTL: that record is not a member of its own, not to this replica (which would own keys
     * under both ids and ask itself for them) nor to the others.
     */
    @Test
    void anEarlierRunAtAReplicasAddressIsNotAMemberOfItsOwn() {
        rounds(2);
        Replica again = replica("r0-again", Duration.ZERO, PeerNews.NONE, "127.0.0.1:5000"); // r0's address
        again.poll();
        rounds(1);
        assertThat(again.peers()).as("members the restarted replica sees").containsExactlyInAnyOrder("r1", "r2");
        for (Replica r : replicas.subList(1, 3)) {
            List<String> addresses = r.fleet().members().stream().map(Member::address).toList();
            assertThat(addresses).as("addresses %s lists", r.fleet().id()).doesNotHaveDuplicates().hasSize(3);
        }
    }

    @Test
    void aReplicaThatJoinsIsAMemberOfTheOthersAtOnceNotAtTheirNextPoll() {
        shareAPeerChannel();
        Duration poll = FleetConfig.POLL_WITH_PEER_CHANNEL;
        for (int i = 0; i < 2; i++) {
            round(replicas, poll);
        }
        List<Replica> before = List.copyOf(replicas);
        int[] lists = lists();
        Replica joined = replica("r3", Duration.ZERO, channel);
        int sent = newsSent.get();
        joined.poll(); // its first poll: writes its record, lists the others, tells them it joined
        assertThat(joined.peers()).as("members the new replica sees").containsExactlyInAnyOrder("r0", "r1", "r2");
        assertThat(newsSent.get() - sent).as("news sent by the new replica").isEqualTo(3);

        for (int i = 0; i < before.size(); i++) {
            Replica r = before.get(i);
            assertThat(r.peers()).as("members %s sees before the news is taken", r.fleet().id()).doesNotContain("r3");
            r.scheduler().runTasks(); // the poll out of turn the news asked for, not the scheduled one
            assertThat(r.peers()).as("members %s sees", r.fleet().id()).contains("r3");
            assertThat(r.requests().count("LIST") - lists[i]).as("LISTs of %s: one, out of turn", r.fleet().id()).isEqualTo(1);
        }

        // News from a member already known lists nothing.
        int[] after = before.stream().mapToInt(r -> r.requests().count("LIST")).toArray();
        DefaultHttpHeaders headers = new DefaultHttpHeaders();
        headers.add("ratelimit-limit", "100;w=21600").add("ratelimit-remaining", "7;w=21600");
        joined.upstream().rateLimit().record(200, headers);
        joined.scheduler().runTasks();
        before.forEach(r -> r.scheduler().runTasks());
        assertThat(before.stream().mapToInt(r -> r.requests().count("LIST")).toArray()).as("LISTs after news of a known member")
                .containsExactly(after);
        before.forEach(r -> assertThat(r.upstream().rateLimit().snapshot().remaining()).isEqualTo(7));
    }

    @Test
    void aQuietFleetReadsEachRecordOnceThenOnlyListsWhileItsHeartbeatsKeepEveryoneLive() {
        rounds(2);
        for (Replica r : replicas) {
            assertThat(r.scheduler().period()).as("poll of %s, without a peer channel", r.fleet().id()).isEqualTo(POLL);
            assertThat(r.peers()).as("members %s sees", r.fleet().id()).hasSize(2);
            assertThat(r.gets()).as("GETs of %s: each other record once, at first sight", r.fleet().id()).isEqualTo(2);
        }
        int[] puts = replicas.stream().mapToInt(r -> r.requests().count("PUT")).toArray();
        int[] lists = replicas.stream().mapToInt(r -> r.requests().count("LIST")).toArray();

        int minute = (int) (Duration.ofMinutes(1).toMillis() / POLL.toMillis());
        rounds(minute);

        for (int i = 0; i < replicas.size(); i++) {
            Replica r = replicas.get(i);
            assertThat(r.gets()).as("GETs of %s in a quiet minute", r.fleet().id()).isEqualTo(2);
            assertThat(r.requests().count("LIST") - lists[i]).as("LISTs of %s in a minute: one a poll", r.fleet().id())
                    .isEqualTo(minute);
            assertThat(r.requests().count("PUT") - puts[i]).as("PUTs of %s in a minute: one a heartbeat", r.fleet().id())
                    .isEqualTo((int) (Duration.ofMinutes(1).toMillis() / CONFIG.heartbeat().toMillis()));
            assertThat(r.peers()).as("members %s sees after a quiet minute", r.fleet().id()).hasSize(2);
        }
    }

    @Test
    void aNewRateLimitReadingIsReadOnTheNextPollAndOnlyThen() {
        rounds(2);
        Replica heard = replicas.get(0);
        Replica other = replicas.get(1);
        int before = other.requests().count("GET", R0);

        DefaultHttpHeaders headers = new DefaultHttpHeaders();
        headers.add("ratelimit-limit", "100;w=21600").add("ratelimit-remaining", "42;w=21600");
        heard.upstream().rateLimit().record(200, headers);
        heard.poll(); // writes the reading at once (not with the next heartbeat), then polls
        other.poll();

        assertThat(other.requests().count("GET", R0)).as("GETs of r0's changed record by r1's next poll").isEqualTo(before + 1);
        assertThat(other.upstream().rateLimit().snapshot().remaining()).isEqualTo(42);

        // The others now carry the reading too (their records change once, with their next heartbeat); then all is
        // quiet again.
        rounds((int) (CONFIG.heartbeat().toMillis() / POLL.toMillis()) + 2);
        replicas.forEach(r -> assertThat(r.upstream().rateLimit().snapshot().remaining()).isEqualTo(42));
        int[] gets = replicas.stream().mapToInt(Replica::gets).toArray();
        rounds(20);
        assertThat(replicas.stream().mapToInt(Replica::gets).toArray()).as("GETs once every record holds the reading")
                .containsExactly(gets);
    }

    @Test
    void aMemberWhoseHeartbeatsStopDropsOutByItsLastModifiedWithoutAnyRead() {
        rounds(2);
        Replica dead = replicas.get(2);
        List<Replica> survivors = replicas.subList(0, 2);
        Instant lastBeat = bucket.lastModified(StorageLayout.fleetMemberKey(dead.fleet().id()));
        int[] gets = survivors.stream().mapToInt(Replica::gets).toArray();

        // Live while its record is younger than memberTtl on the bucket's clock (its own clock is an hour behind).
        while (bucketClock.instant().isBefore(lastBeat.plus(CONFIG.memberTtl()))) {
            round(survivors);
            survivors.forEach(r -> assertThat(r.peers()).as("members of %s at %s", r.fleet().id(), bucketClock.instant())
                    .contains(dead.fleet().id()));
        }
        // Gone by memberTtl + 2 s (LastModified is to the second) + one poll.
        while (bucketClock.instant().isBefore(lastBeat.plus(CONFIG.memberTtl()).plus(MemberPoll.RESOLUTION.multipliedBy(2))
                .plus(POLL))) {
            round(survivors);
        }
        survivors.forEach(r -> assertThat(r.peers()).as("members of %s", r.fleet().id()).containsExactly(
                survivors.get(r == survivors.get(0) ? 1 : 0).fleet().id()));
        assertThat(survivors.stream().mapToInt(Replica::gets).toArray()).as("GETs while a member died").containsExactly(gets);
        assertThat(bucket.exists(StorageLayout.fleetMemberKey(dead.fleet().id()))).as("a record dead one TTL is kept").isTrue();
    }

    @Test
    void aRecordDeadTwelveTtlsIsForgotten() {
        rounds(2);
        Replica dead = replicas.get(2);
        String key = StorageLayout.fleetMemberKey(dead.fleet().id());
        Instant lastBeat = bucket.lastModified(key);
        List<Replica> survivors = replicas.subList(0, 2);
        while (bucketClock.instant().isBefore(lastBeat.plus(CONFIG.memberTtl().multipliedBy(12)))) {
            round(survivors);
            assertThat(bucket.exists(key)).as("record of a replica dead for less than 12 TTLs").isTrue();
        }
        for (int i = 0; i < 3; i++) {
            round(survivors);
        }
        assertThat(bucket.exists(key)).as("record of a replica dead for 12 TTLs").isFalse();
    }

    @Test
    void whileAReplicaOfAnEarlierBuildIsLiveEveryRecordLooksAliveToIt() throws IOException {
        rounds(2);
        String old = StorageLayout.fleetMemberKey("old");
        Duration ttl = CONFIG.memberTtl();
        // An earlier build beats every second with a new heartbeatAt, and takes the others' heartbeatAt for
        // their last beat (its clock is the bucket's here).
        for (int i = 0; i < 40; i++) {
            if (i % 2 == 0) {
                bucket.put(old, ("{\"id\":\"old\",\"address\":\"127.0.0.1:4999\",\"version\":\"0.9\",\"startedAt\":1,"
                        + "\"heartbeatAt\":" + bucketClock.millis() + ",\"budgets\":{}}").getBytes(StandardCharsets.UTF_8));
            }
            round(replicas);
            for (Replica r : replicas) {
                assertThat(r.peers()).as("members %s sees", r.fleet().id()).contains("old");
                MemberRecord record = MemberRecord.parse(bucket.get(StorageLayout.fleetMemberKey(r.fleet().id())).orElseThrow());
                // heartbeatAt is by the writer's clock (an hour off for two of them): the old build needs NTP anyway.
                Duration age = Duration.between(Instant.ofEpochMilli(record.heartbeatAt()), r.clock().instant());
                assertThat(age).as("age of %s's heartbeatAt after %d polls", r.fleet().id(), i).isLessThan(ttl);
            }
        }
        // Upgraded: once the old replica is gone (a TTL, LastModified's second, a poll), a record changes no more,
        // so it costs no GETs.
        rounds((int) (ttl.plus(MemberPoll.RESOLUTION.multipliedBy(2)).toMillis() / POLL.toMillis()) + 2);
        replicas.forEach(r -> assertThat(r.peers()).as("members %s sees", r.fleet().id()).doesNotContain("old"));
        int[] gets = replicas.stream().mapToInt(Replica::gets).toArray();
        rounds(20);
        assertThat(replicas.stream().mapToInt(Replica::gets).toArray()).as("GETs once the upgrade is done").containsExactly(gets);
    }

    /**
     * The bucket: a disk store whose LastModified is {@code clock}'s time of
     * each write, to the second (the disk's own is the machine's).
     */
    private static final class ClockedBucket implements MetadataStore {
        private final MetadataStore disk;
        private final MutableClock clock;
        private final Map<String, Instant> written = new ConcurrentHashMap<>();

        ClockedBucket(MetadataStore disk, MutableClock clock) {
            this.disk = disk;
            this.clock = clock;
        }

        Instant lastModified(String key) {
            return written.get(key);
        }

        @Override
        public Optional<byte[]> get(String key) throws IOException {
            return disk.get(key);
        }

        @Override
        public boolean exists(String key) {
            return written.containsKey(key);
        }

        @Override
        public synchronized void put(String key, byte[] value) throws IOException {
            disk.put(key, value);
            written.put(key, clock.instant().truncatedTo(ChronoUnit.SECONDS));
        }

        @Override
        public synchronized boolean delete(String key) throws IOException {
            written.remove(key);
            return disk.delete(key);
        }

        @Override
        public List<String> list(String prefix) throws IOException {
            return disk.list(prefix);
        }

        @Override
        public List<String> listRecursive(String prefix) throws IOException {
            return disk.listRecursive(prefix);
        }

        @Override
        public synchronized List<MetadataStoreEntry> listEntries(String prefix) throws IOException {
            return disk.listEntries(prefix).stream().map(e -> new MetadataStoreEntry(e.name(), e.etag(), written.get(prefix + e.name()))).toList();
        }
    }

    /**
     * The fleet's scheduler, run by the test: {@link #step} runs the one-off
     * tasks handed to it (a reading to publish at once), then one poll.
     */
    private static final class StepScheduler extends ScheduledThreadPoolExecutor {
        private final Queue<Runnable> tasks = new ArrayDeque<>();
        private Runnable poll;
        private Duration period;

        StepScheduler() {
            super(1);
        }

        @Override
        public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
            poll = command;
            this.period = Duration.ofNanos(unit.toNanos(period));
            return super.schedule(() -> { }, 1, TimeUnit.DAYS);
        }

        @Override
        public synchronized void execute(Runnable command) {
            tasks.add(command);
        }

        synchronized void step() {
            runTasks();
            poll.run();
        }

        /** Runs the one-off tasks handed to it, without a poll. */
        synchronized void runTasks() {
            for (Runnable t = tasks.poll(); t != null; t = tasks.poll()) {
                t.run();
            }
        }

        /** The period the fleet asked its poll to run at. */
        Duration period() {
            return period;
        }
    }
}
