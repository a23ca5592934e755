package dev.gantry.fleet;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Which member of the fleet owns a key ({@link Rendezvous} over the live
 * members, this replica included), with members this replica found
 * unreachable left out for one member TTL. A replica killed mid-pull keeps
 * its heartbeat record until the TTL runs out; without the suspicion every
 * survivor would find it dead on its own and fetch its keys from the
 * upstream, one fetch per survivor. With it, the survivors re-hash over the
 * same survivors and agree again on one owner after one failed attempt each.
 * Thread-safe.
 */
public final class Ownership {

    private final String self;
    private final Supplier<List<Member>> members;
    private final Duration suspicion;
    private final Clock clock;
    private final Map<String, Instant> unreachable = new ConcurrentHashMap<>();

    /**
     * @param self this replica's id
     * @param members the live members, this replica included
     * @param suspicion how long a member found unreachable is left out (the member TTL)
     */
    public Ownership(String self, Supplier<List<Member>> members, Duration suspicion, Clock clock) {
        this.self = Objects.requireNonNull(self, "self");
        this.members = Objects.requireNonNull(members, "members");
        this.suspicion = Objects.requireNonNull(suspicion, "suspicion");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** The member that owns {@code key}, or null when this replica does (always so in a fleet of one). */
    public Member owner(String key) {
        List<Member> all = members.get();
        if (all.size() <= 1) {
            return null;
        }
        Instant now = clock.instant();
        unreachable.values().removeIf(until -> !until.isAfter(now));
        List<Member> reachable = unreachable.isEmpty() ? all
                : all.stream().filter(m -> m.id().equals(self) || !unreachable.containsKey(m.address())).toList();
        Member owner = Rendezvous.owner(key, reachable);
        return owner == null || owner.id().equals(self) ? null : owner;
    }

    /** The member at {@code address} did not answer: its keys go to the others for a while. */
    public void unreachable(String address) {
        unreachable.put(address, clock.instant().plus(suspicion));
    }
}
