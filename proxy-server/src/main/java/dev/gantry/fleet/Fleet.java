package dev.gantry.fleet;

import dev.gantry.config.FleetConfig;
import dev.gantry.storage.MetadataStore;
import dev.gantry.storage.StorageLayout;
import dev.gantry.upstream.RateLimitState;
import dev.gantry.upstream.Upstream;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This replica's place in the fleet of replicas sharing a bucket. Every
 * {@code fleet.heartbeat} it writes {@code fleet/members/<id>} (address,
 * start, version, and each upstream's rate-limit state); every {@code
 * fleet.poll} it lists the others' records ({@link MemberPoll}): a record
 * whose LastModified is younger than {@code fleet.memberTtl}, by the bucket's
 * clock, is a live member, and a record read for the first time or whose ETag
 * changed is read and its rate-limit readings are merged into this replica's
 * {@link RateLimitState}s (newer remaining wins, the later {@code Retry-After}
 * holds). The heartbeat rewrites the same bytes while nothing changed (its
 * {@code heartbeatAt} is the time of the last change), so what moves each
 * beat is only the LastModified the listing shows, and a poll costs one LIST
 * and no GET while nothing changes. What this replica
 * learns from an upstream is written at once, so the others know it within
 * one poll plus two bucket round trips; a 429 thus stops the fleet. When the
 * replicas share a secret, the record also goes to every live member at once
 * over the peer channel ({@link PeerNews}): a reading arrives in
 * milliseconds, a wait ({@code Retry-After}) before the client that caused it
 * is answered, so no other replica sends the upstream a request after it has
 * the news. A replica also sends its record to the members it first lists,
 * and news from a member not yet known makes the receiver list the bucket at
 * once: a joining replica is a member everywhere within a round trip. The
 * poll then only finds members and backs the channel up, so it runs every
 * 5 s instead of every 500 ms ({@link FleetConfig#poll(boolean)}): an idle
 * fleet on S3 costs a LIST and a PUT per replica every 5 s.
 *
 * <p>Why the bucket stays the durable path: it is the one thing every
 * replica already shares and trusts, and a reading outlives the replica that
 * made it (a replica started during a {@code Retry-After} learns it from the
 * record). The cost is a LIST per poll and a PUT per heartbeat, plus a GET of
 * a record when its content changes.
 *
 * <p>Without a shared store it is a fleet of one plus the configured
 * members, and nothing is written. Thread-safe; the bucket work runs on the
 * injected single-threaded scheduler, never on the caller's thread.
 */
public final class Fleet implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Fleet.class);
    /** The longest the answer to a 429 waits for the live members to take the news. */
    private static final Duration NEWS_WAIT = Duration.ofSeconds(1);

    private final String id;
    private final Supplier<String> addressSource;
    private volatile String address;
    private final String version;
    private final MetadataStore shared;
    private final List<Upstream> upstreams;
    private final FleetConfig config;
    private final Clock clock;
    private final ScheduledExecutorService scheduler;
    private final Instant startedAt;
    private final Ownership ownership;
    private final PeerNews news;
    private final MemberPoll poll;
    private final StaticMembers statics;
    /** How often the bucket is listed: slow when the peer channel carries the news ({@link FleetConfig#poll(boolean)}). */
    private final Duration pollEvery;
    private final AtomicBoolean dirty = new AtomicBoolean();
    /** A poll out of turn is queued (news came from a member this replica does not know yet). */
    private final AtomicBoolean pollQueued = new AtomicBoolean();
    private volatile List<Member> peers = List.of();
    private volatile Instant lastSync;
    private volatile boolean failing;
    // Only on the scheduler's thread:
    private Instant nextHeartbeat = Instant.MIN;
    /** The record last written, without its time, and when its content last changed. */
    private MemberRecord written;
    private Instant changedAt;
    /** When the heartbeat the bucket last took was sent; null when the last one failed. */
    private Instant sentAt;
    /** Whether this replica has told the members it first listed that it joined. */
    private boolean announced;

    /**
     * @param address this replica's advertised {@code host:port}, asked when first needed (after binding)
     * @param shared the bucket's metadata store, or null without one (a fleet of one)
     * @param scheduler single-threaded; the caller shuts it down after {@link #close}
     * @param news how a rate-limit wait reaches the live members at once, besides the bucket
     */
    public Fleet(String id, Supplier<String> address, String version, MetadataStore shared, List<Upstream> upstreams,
                 FleetConfig config, Clock clock, ScheduledExecutorService scheduler, PeerNews news) {
        this.news = Objects.requireNonNull(news, "news");
        this.id = Objects.requireNonNull(id, "id");
        this.addressSource = Objects.requireNonNull(address, "address");
        this.version = Objects.requireNonNull(version, "version");
        this.shared = shared;
        this.upstreams = List.copyOf(upstreams);
        this.config = Objects.requireNonNull(config, "config");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        this.startedAt = clock.instant();
        this.ownership = new Ownership(id, this::members, config.memberTtl(), clock);
        this.poll = shared == null ? null : new MemberPoll(id, shared, config.memberTtl(), config.heartbeat(), this::adopt);
        this.pollEvery = config.poll(news != PeerNews.NONE);
        this.statics = new StaticMembers(config.members());
    }

    /** Resolves the configured members, then starts heartbeats and polling (nothing of those without a shared store). */
    public void start() {
        if (!statics.configured().isEmpty()) {
            statics.refresh(); // before the first request: no moment where a name of this replica counts apart
            scheduler.scheduleWithFixedDelay(statics::refresh, 1, 1, TimeUnit.MINUTES);
        }
        if (shared == null) {
            return;
        }
        // What this replica hears from an upstream goes out at once, not with the next heartbeat.
        upstreams.forEach(u -> {
            u.rateLimit().onLearned(() -> {
                if (!dirty.getAndSet(true)) {
                    scheduler.execute(this::publishIfDirty);
                }
            });
            u.rateLimit().onWait(this::tellPeersOfAWait);
        });
        // At a fixed rate: a slow bucket round trip must not stretch the propagation delay further.
        scheduler.scheduleAtFixedRate(this::tick, 0, pollEvery.toMillis(), TimeUnit.MILLISECONDS);
    }

    public String id() {
        return id;
    }

    /** The advertised address, worked out once (it may mean a host-name lookup); null before the server is bound. */
    private String address() {
        String a = address;
        if (a == null) {
            a = addressSource.get();
            address = a;
        }
        return a;
    }

    /**
     * This replica first, then the live members the bucket shows, then configured ones not among them: one
     * member per address. A second record at an address already listed is an earlier run of that replica
     * (killed, its record not yet expired), and a configured name that resolves to a listed address is that
     * member: counted apart, this replica could own keys under both and ask itself for them.
     */
    public List<Member> members() {
        List<Member> out = new ArrayList<>();
        out.add(new Member(id, address(), version, startedAt, null, "self"));
        Set<String> addresses = new HashSet<>();
        addresses.add(address());
        for (Member m : peers) {
            if (addresses.add(m.address())) {
                out.add(m);
            }
        }
        for (String a : statics.configured()) {
            if (statics.addressesOf(a).stream().noneMatch(addresses::contains) && addresses.add(a)) {
                out.add(new Member(a, a, null, null, null, "static"));
            }
        }
        return out;
    }

    /** Who owns which key among the members ({@link Ownership}). */
    public Ownership ownership() {
        return ownership;
    }

    /** The fleet's part of the status page: members, each upstream's budget as the fleet knows it, sync state. */
    public Map<String, Object> status() {
        String discovery = shared == null ? (config.members().isEmpty() ? "none" : "static") : "bucket";
        return FleetStatus.of(id, discovery, members(), upstreams, lastSync);
    }

    private void tick() {
        try {
            Instant now = clock.instant();
            boolean learned = dirty.getAndSet(false);
            if (learned) {
                tellPeers();
            }
            if (learned || !now.isBefore(nextHeartbeat)) {
                publish(now);
            }
            read(now);
            lastSync = now;
            if (!announced) {
                // The members listed learn of this replica now, not at their next poll: until they do, each
                // would send a key this replica now owns to its former owner, and both would fetch it.
                announced = true;
                tellPeers();
            }
            if (failing) {
                failing = false;
                log.info("fleet: the bucket answers again");
            }
        } catch (IOException | RuntimeException e) {
            if (!failing) {
                failing = true;
                log.warn("fleet: cannot reach the bucket; members and rate-limit readings are as last seen: {}", e.toString());
            }
        }
    }

    private void publishIfDirty() {
        if (dirty.getAndSet(false)) {
            tellPeers();
            try {
                publish(clock.instant());
            } catch (IOException | RuntimeException e) {
                dirty.set(true); // the next tick tries again
                log.debug("fleet: publishing a rate-limit reading failed", e);
            }
        }
    }

    /** Writes this replica's record; equal bytes while its content is unchanged, so its ETag stays. */
    private void publish(Instant now) throws IOException {
        MemberRecord content = record(0);
        if (!content.equals(written)) {
            written = content;
            changedAt = now;
        } else if (poll.earlierBuildLive()
                && !now.isBefore(changedAt.plus(config.memberTtl().dividedBy(2)).minus(config.heartbeat()))) {
            // A replica of an earlier build takes heartbeatAt for the last beat: unchanged bytes would look dead
            // to it after memberTtl. Until the upgrade is done, the record changes before heartbeatAt is half a
            // TTL old, a heartbeat early (and costs the others of this build one GET each time).
            changedAt = now;
        }
        sentAt = null;
        shared.put(StorageLayout.fleetMemberKey(id), record(changedAt.toEpochMilli()).toJson());
        // Read after the PUT: its LastModified is stamped as it completes, so a slow PUT must not count as time
        // passed on the bucket's clock (which would age the live members early).
        sentAt = clock.instant();
        nextHeartbeat = now.plus(config.heartbeat());
    }

    private MemberRecord record(long changedAt) {
        Map<String, MemberRecord.Budget> budgets = new LinkedHashMap<>();
        upstreams.forEach(u -> budgets.put(u.name(), MemberRecord.Budget.of(u.rateLimit().snapshot())));
        return new MemberRecord(id, address(), version, startedAt.toEpochMilli(), changedAt, budgets, MemberRecord.BY_LAST_MODIFIED);
    }

    /**
     * Sends this replica's record to every live member over the peer channel, at once and without waiting for
     * them: a reading reaches them in milliseconds, not at their next poll. Nothing without a peer channel.
     * Completes when every member took it or could not be told.
     */
    private CompletableFuture<Void> tellPeers() {
        List<Member> live = peers;
        if (live.isEmpty() || news == PeerNews.NONE) {
            return CompletableFuture.completedFuture(null);
        }
        byte[] record = record(clock.instant().toEpochMilli()).toJson();
        return CompletableFuture.allOf(live.stream().map(m -> news.send(m, record)).toArray(CompletableFuture[]::new));
    }

    /**
     * A wait an upstream asked for goes to every live member at once, on the thread that heard it
     * (sending is asynchronous), besides the bucket: through the bucket it takes up to a poll, during
     * which another replica could still send that upstream a request. Completes when every member
     * took it, or after {@link #NEWS_WAIT} (a member that cannot be told hears it from the bucket).
     */
    private CompletableFuture<Void> tellPeersOfAWait() {
        return tellPeers().completeOnTimeout(null, NEWS_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Takes in what a member sent on the peer channel: its rate-limit readings, merged as the
     * bucket's records are.
     *
     * @throws IOException when {@code record} is not a member record
     */
    public void receive(byte[] record) throws IOException {
        MemberRecord r = MemberRecord.parse(record);
        adopt(r);
        if (shared != null && !r.id().equals(id) && peers.stream().noneMatch(m -> m.id().equals(r.id()))
                && !pollQueued.getAndSet(true)) {
            // A member this replica does not know yet (it just joined): list the bucket now, not at the next poll.
            try {
                scheduler.execute(this::pollNow);
            } catch (RejectedExecutionException e) {
                pollQueued.set(false); // stopping
            }
        }
    }

    private void pollNow() {
        pollQueued.set(false);
        try {
            Instant now = clock.instant();
            read(now);
            lastSync = now;
        } catch (IOException | RuntimeException e) {
            log.debug("fleet: a poll out of turn failed; the next one tries again", e);
        }
    }

    private void read(Instant now) throws IOException {
        peers = poll.read(sentAt, now, r -> holdsARetryAfter(r, now));
        if (!poll.selfListed()) {
            nextHeartbeat = Instant.MIN; // removed (a long pause, taken for dead): written again next tick
        }
    }

    private void adopt(MemberRecord r) {
        for (Upstream u : upstreams) {
            MemberRecord.Budget b = r.budgets().get(u.name());
            if (b != null) {
                u.rateLimit().adopt(b.snapshot());
            }
        }
    }

    private static boolean holdsARetryAfter(MemberRecord r, Instant now) {
        return r.budgets().values().stream().anyMatch(b -> b.retryAfterUntil() > now.toEpochMilli());
    }

    /** Stops announcing and removes this replica's record, so the others drop it at once. */
    @Override
    public void close() {
        upstreams.forEach(u -> {
            u.rateLimit().onLearned(null);
            u.rateLimit().onWait(null);
        });
        if (shared == null) {
            return;
        }
        try {
            if (!holdsARetryAfterNow()) {
                shared.delete(StorageLayout.fleetMemberKey(id));
            }
        } catch (IOException | RuntimeException e) {
            log.debug("fleet: removing this replica's record failed; it expires by itself", e);
        }
    }

    private boolean holdsARetryAfterNow() {
        return upstreams.stream().anyMatch(u -> u.rateLimit().backingOff());
    }
}
