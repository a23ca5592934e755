package dev.gantry.fleet;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gantry.oci.Digest;
import dev.gantry.storage.MetadataStore;
import dev.gantry.storage.StorageLayout;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The blobs this replica served most lately, and the fleet's view of them:
 * what a new replica copies to its own disk before it takes traffic, so that
 * its first clients are served from its disk, not from the bucket.
 *
 * <p>Every blob GET served counts ({@link #served}); {@link #publish} (every
 * {@link #PUBLISH_EVERY}, from the caller's scheduler) ages the counts (half
 * life {@link #HALF_LIFE}) and writes the top {@link #PUBLISHED} to {@code
 * fleet/hot/<id>} in the bucket when anything was served since the last
 * write. {@link #fleetHot} merges every replica's list (scores summed),
 * hottest first; lists older than {@link #MAX_AGE} are ignored and removed.
 *
 * <p>Why its own key rather than the member record: the member record is
 * written on every rate-limit change and read by every replica every poll;
 * the hot list is larger and read once per start. Thread-safe.
 */
public final class HotSet {

    private static final Logger log = LoggerFactory.getLogger(HotSet.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    public static final Duration PUBLISH_EVERY = Duration.ofSeconds(5);
    static final Duration HALF_LIFE = Duration.ofMinutes(10);
    static final Duration MAX_AGE = Duration.ofDays(1);
    static final int PUBLISHED = 256;
    /** Blobs counted at most; beyond, the coldest are dropped at the next publish. */
    static final int TRACKED = 4096;
    private static final java.util.regex.Pattern REPOSITORY = java.util.regex.Pattern.compile("[a-z0-9][a-z0-9._/-]{0,254}");
    private static final double DECAY = Math.pow(0.5, (double) PUBLISH_EVERY.toMillis() / HALF_LIFE.toMillis());

    /** One blob of a hot list: where it was served (the name a client used), its size, its aged read count. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Entry(@JsonProperty("repository") String repository, @JsonProperty("digest") String digest,
                        @JsonProperty("size") long size, @JsonProperty("score") double score) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    record HotList(@JsonProperty("id") String id, @JsonProperty("at") long at, @JsonProperty("blobs") List<Entry> blobs) {
        HotList {
            blobs = blobs == null ? List.of() : List.copyOf(blobs);
        }
    }

    private static final class Counter {
        final LongAdder reads = new LongAdder();
        volatile String repository;
        volatile long size;
        double score; // only the publishing thread touches it
    }

    private final String id;
    private final MetadataStore shared;
    private final Clock clock;
    private final Map<Digest, Counter> counters = new ConcurrentHashMap<>();
    private volatile boolean publishing;

    /** @param shared the bucket's metadata store (its shared tier only) */
    public HotSet(String id, MetadataStore shared, Clock clock) {
        this.id = Objects.requireNonNull(id, "id");
        this.shared = Objects.requireNonNull(shared, "shared");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * Forgets what was counted so far and publishes from now on: what the replica's own warm-up asked
     * for is not what clients want. The warm-up's GETs are counted all the same (and then dropped here)
     * so that the code the JIT compiled for them is the code clients run: a counting branch never taken
     * while warming would be compiled as a trap, and the first client GET after ready would send the
     * serving path back to the interpreter for seconds.
     */
    public void clientsFromNow() {
        counters.clear();
        publishing = true;
    }

    /** A client got {@code size} bytes of {@code digest} through {@code repository}. Never blocks. */
    public void served(String repository, Digest digest, long size) {
        if (counters.size() >= TRACKED * 2 && !counters.containsKey(digest)) {
            return; // a burst of distinct blobs between two publishes: the list keeps its shape until then
        }
        Counter c = counters.computeIfAbsent(digest, d -> new Counter());
        c.repository = repository;
        c.size = size;
        c.reads.increment();
    }

    /**
     * Ages the counts and writes this replica's list if anything was served since the last call; nothing
     * before {@link #clientsFromNow}. Blocks.
     */
    public void publish() {
        if (!publishing) {
            return;
        }
        boolean fresh = false;
        List<Map.Entry<Digest, Counter>> all = new ArrayList<>();
        for (Map.Entry<Digest, Counter> e : counters.entrySet()) {
            long reads = e.getValue().reads.sumThenReset();
            fresh |= reads > 0;
            e.getValue().score = e.getValue().score * DECAY + reads;
            all.add(e);
        }
        all.sort(Comparator.comparingDouble((Map.Entry<Digest, Counter> e) -> e.getValue().score).reversed());
        // The cold tail goes: a blob read once an hour ago is not what a new replica should copy.
        all.subList(Math.min(all.size(), TRACKED), all.size()).forEach(e -> counters.remove(e.getKey()));
        all.stream().filter(e -> e.getValue().score < 0.01).forEach(e -> counters.remove(e.getKey()));
        if (!fresh) {
            return;
        }
        List<Entry> top = all.stream().limit(PUBLISHED).filter(e -> e.getValue().score >= 0.01)
                .map(e -> new Entry(e.getValue().repository, e.getKey().toString(), e.getValue().size, e.getValue().score))
                .toList();
        try {
            shared.put(StorageLayout.fleetHotKey(id), JSON.writeValueAsBytes(new HotList(id, clock.millis(), top)));
        } catch (IOException | RuntimeException e) {
            log.debug("fleet: writing the hot list failed; the next publish tries again", e);
        }
    }

    /**
     * Every replica's hot list merged (this one's own older list included: a
     * restarted replica had one), hottest first. Blocks; empty when the
     * bucket cannot be read.
     */
    public List<Entry> fleetHot() {
        Map<String, Entry> merged = new HashMap<>();
        try {
            for (String member : shared.list(StorageLayout.FLEET_HOT_PREFIX)) {
                HotList list = read(member);
                if (list == null) {
                    continue;
                }
                for (Entry e : list.blobs()) {
                    if (valid(e)) {
                        merged.merge(e.digest(), e, (a, b) -> new Entry(a.score() >= b.score() ? a.repository() : b.repository(),
                                a.digest(), a.size(), a.score() + b.score()));
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            log.warn("fleet: cannot read the fleet's hot lists; warming up without them: {}", e.toString());
        }
        return merged.values().stream().sorted(Comparator.comparingDouble(Entry::score).reversed()).toList();
    }

    private HotList read(String member) throws IOException {
        var bytes = shared.get(StorageLayout.fleetHotKey(member));
        if (bytes.isEmpty()) {
            return null;
        }
        HotList list;
        try {
            list = JSON.readValue(bytes.get(), HotList.class);
        } catch (IOException e) {
            log.debug("fleet: skipping unreadable hot list {}: {}", member, e.toString());
            return null;
        }
        if (clock.millis() - list.at() > MAX_AGE.toMillis()) {
            shared.delete(StorageLayout.fleetHotKey(member)); // a replica long gone: its list only misleads
            return null;
        }
        return list;
    }

    private static boolean valid(Entry e) {
        // The name goes into a URL this replica asks itself: a list in the bucket must not shape anything else.
        if (e.repository() == null || !REPOSITORY.matcher(e.repository()).matches()
                || e.repository().contains("..") || e.size() <= 0 || !(e.score() > 0)) {
            return false;
        }
        try {
            Digest.parse(e.digest());
            return true;
        } catch (RuntimeException ex) { // RegistryException: not a digest
            return false;
        }
    }
}
