package dev.gantry.fleet;

import java.util.concurrent.CompletableFuture;

/**
 * Tells a live member of the fleet at once what this replica learned (its
 * member record) over the peer channel. The bucket stays the durable path:
 * news that does not arrive reaches the member with its next poll anyway.
 */
public interface PeerNews {

    /** Sends nothing: without a shared secret there is no peer channel. */
    PeerNews NONE = (peer, record) -> CompletableFuture.completedFuture(null);

    /**
     * Sends {@code record} (a member record's JSON) to {@code peer}; returns at once, never throws.
     * The future completes when the peer took it, or could not be told (it never fails).
     */
    CompletableFuture<Void> send(Member peer, byte[] record);
}
