package dev.gantry.fleet;

import dev.gantry.storage.MetadataStore;
import dev.gantry.storage.MetadataStoreEntry;
import dev.gantry.storage.StorageLayout;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One replica's reading of the others' records in the bucket: one listing of
 * {@code fleet/members/} per poll, a GET only of a record whose ETag differs
 * from the one last read (first sight, or new content: a rate-limit reading,
 * an address, a version), and liveness from each record's LastModified alone.
 *
 * <p>Liveness is measured on the bucket's clock, so the replicas' clocks may
 * disagree: the bucket's "now" is the LastModified of this replica's own
 * latest heartbeat, shown by the same listing, plus the time this replica's
 * clock says has passed since it sent that heartbeat (at most one {@code
 * fleet.heartbeat}: only the elapsed time of the local clock counts, never
 * its reading), and never earlier than the newest LastModified listed. A
 * record is live while it is younger than {@code memberTtl} plus {@link
 * #RESOLUTION} on that clock: S3 keeps LastModified to the second, so two
 * records written a moment apart may read a second apart; without the slack
 * a live member beating every {@code fleet.heartbeat} could drop out at the
 * smallest TTL allowed (twice the heartbeat). A dead member thus drops out
 * between {@code memberTtl} and {@code memberTtl} + 2 s after its last beat,
 * plus up to a poll.
 *
 * <p>Not thread-safe: called on the fleet's one scheduler thread.
 */
final class MemberPoll {

    private static final Logger log = LoggerFactory.getLogger(MemberPoll.class);
    /** How finely S3 keeps LastModified. */
    static final Duration RESOLUTION = Duration.ofSeconds(1);
    /** A dead replica's record is removed this many member TTLs after its last beat (once its Retry-After passed). */
    private static final int FORGET_AFTER_TTLS = 12;

    private final String self;
    private final MetadataStore shared;
    private final Duration memberTtl;
    private final Duration heartbeat;
    private final Consumer<MemberRecord> adopt;
    /** Per listed name: the ETag last read and what it held (null: unreadable, not read again until it changes). */
    private final Map<String, Seen> seen = new HashMap<>();
    private boolean selfListed;
    private boolean earlierBuildLive;

    private record Seen(String etag, MemberRecord record) {
    }

    /** @param adopt takes every record read (new or changed): its rate-limit readings */
    MemberPoll(String self, MetadataStore shared, Duration memberTtl, Duration heartbeat, Consumer<MemberRecord> adopt) {
        this.self = Objects.requireNonNull(self, "self");
        this.shared = Objects.requireNonNull(shared, "shared");
        this.memberTtl = Objects.requireNonNull(memberTtl, "memberTtl");
        this.heartbeat = Objects.requireNonNull(heartbeat, "heartbeat");
        this.adopt = Objects.requireNonNull(adopt, "adopt");
    }

    /**
     * Lists the records, reads the new and changed ones, forgets dead ones
     * long gone, and returns the live members other than this replica.
     *
     * @param ownSentAt when (by this replica's clock) it sent the heartbeat the listing should show; null when unknown
     * @param now this replica's clock now
     * @param holdsAWait whether a record still holds a {@code Retry-After} (by this replica's clock)
     */
    List<Member> read(Instant ownSentAt, Instant now, Predicate<MemberRecord> holdsAWait) throws IOException {
        List<MetadataStoreEntry> entries = shared.listEntries(StorageLayout.FLEET_MEMBERS_PREFIX);
        Instant bucketNow = bucketNow(entries, ownSentAt, now);
        Map<String, Seen> still = new HashMap<>();
        List<Member> live = new ArrayList<>();
        boolean earlier = false;
        for (MetadataStoreEntry e : entries) {
            if (e.name().equals(self)) {
                continue;
            }
            Seen s = seen.get(e.name());
            if (s == null || !s.etag().equals(e.etag())) {
                // Gone since listed, or the GET failed: what was read before (under its old ETag, so the
                // next poll asks again) still says who the member is; its liveness is the listing's.
                s = read(e).orElse(s);
                if (s == null) {
                    continue;
                }
            }
            still.put(e.name(), s);
            MemberRecord r = s.record();
            if (r == null) {
                continue;
            }
            Duration age = Duration.between(e.lastModified(), bucketNow);
            if (age.compareTo(memberTtl.plus(RESOLUTION)) < 0) {
                earlier |= r.fromAnEarlierBuild();
                live.add(new Member(r.id(), r.address(), r.version(), MemberRecord.instant(r.startedAt()), e.lastModified(), "bucket"));
            } else if (age.compareTo(memberTtl.multipliedBy(FORGET_AFTER_TTLS)) > 0 && !holdsAWait.test(r)) {
                shared.delete(StorageLayout.fleetMemberKey(e.name()));
                still.remove(e.name());
            }
        }
        seen.clear(); // names no longer listed are forgotten
        seen.putAll(still);
        earlierBuildLive = earlier;
        return List.copyOf(live);
    }

    /**
     * Whether the last poll found a live member of an earlier build (a
     * rolling upgrade under way): it takes a record's {@code heartbeatAt}
     * for the last beat, not its LastModified.
     */
    boolean earlierBuildLive() {
        return earlierBuildLive;
    }

    /** Whether the last listing showed this replica's own record (else it was removed: write it again). */
    boolean selfListed() {
        return selfListed;
    }

    private Instant bucketNow(List<MetadataStoreEntry> entries, Instant ownSentAt, Instant now) {
        Instant newest = Instant.MIN;
        selfListed = false;
        for (MetadataStoreEntry e : entries) {
            if (e.lastModified().isAfter(newest)) {
                newest = e.lastModified();
            }
            if (e.name().equals(self)) {
                selfListed = true;
                if (ownSentAt != null) {
                    // Only the local clock's elapsed time counts, bounded: a local clock set forward
                    // must not age every member at once.
                    Duration since = Duration.between(ownSentAt, now);
                    since = since.isNegative() ? Duration.ZERO : since.compareTo(heartbeat) > 0 ? heartbeat : since;
                    Instant estimate = e.lastModified().plus(since);
                    if (estimate.isAfter(newest)) {
                        newest = estimate;
                    }
                }
            }
        }
        return newest;
    }

    /** The record under {@code e} now; empty when it is gone or cannot be fetched (not remembered: asked again). */
    private Optional<Seen> read(MetadataStoreEntry e) {
        Optional<byte[]> bytes;
        try {
            bytes = shared.get(StorageLayout.fleetMemberKey(e.name()));
        } catch (IOException | RuntimeException ex) {
            log.debug("fleet: reading record {} failed: {}", e.name(), ex.toString());
            return Optional.empty();
        }
        if (bytes.isEmpty()) {
            return Optional.empty();
        }
        try {
            MemberRecord r = MemberRecord.parse(bytes.get());
            adopt.accept(r);
            // A record under another name than its id's (S3Proxy's filesystem backend lists a PUT's
            // temporary file for a moment) has readings, but is no second member.
            return Optional.of(new Seen(e.etag(), r.id().equals(e.name()) ? r : null));
        } catch (IOException ex) {
            log.debug("fleet: skipping unreadable record {}: {}", e.name(), ex.toString());
            return Optional.of(new Seen(e.etag(), null));
        }
    }
}
