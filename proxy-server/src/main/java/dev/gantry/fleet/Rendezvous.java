package dev.gantry.fleet;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Rendezvous (highest-random-weight) hashing: the owner of a key is the
 * member whose id, hashed together with the key, weighs most. Every replica
 * that sees the same members picks the same owner without talking to the
 * others; when a member leaves, only the keys it owned move (each to the
 * member that weighed second), and a member that joins takes about
 * {@code 1/n} of the keys, from every other member alike.
 *
 * <p>Why not a hash ring: with a handful of replicas the ring needs virtual
 * nodes to spread evenly, and rendezvous needs no state at all; its cost, one
 * hash per member per lookup, is nothing next to a blob fetch.
 */
public final class Rendezvous {

    private Rendezvous() {
    }

    /** The member of {@code members} that owns {@code key}; null when there are none. Ties go to the smaller id. */
    public static Member owner(String key, List<Member> members) {
        Member best = null;
        long bestWeight = 0;
        for (Member m : members) {
            long w = weight(key, m.id());
            if (best == null || Long.compareUnsigned(w, bestWeight) > 0
                    || w == bestWeight && m.id().compareTo(best.id()) < 0) {
                best = m;
                bestWeight = w;
            }
        }
        return best;
    }

    /** A 64-bit weight of the pair: FNV-1a over key, a separator and id, then a SplitMix64 finalizer to spread the bits. */
    static long weight(String key, String id) {
        long h = 0xcbf29ce484222325L;
        h = fnv(h, key.getBytes(StandardCharsets.UTF_8));
        h = (h ^ 0) * 0x100000001b3L;
        h = fnv(h, id.getBytes(StandardCharsets.UTF_8));
        h ^= h >>> 30;
        h *= 0xbf58476d1ce4e5b9L;
        h ^= h >>> 27;
        h *= 0x94d049bb133111ebL;
        return h ^ (h >>> 31);
    }

    private static long fnv(long h, byte[] bytes) {
        for (byte b : bytes) {
            h = (h ^ (b & 0xff)) * 0x100000001b3L;
        }
        return h;
    }
}
