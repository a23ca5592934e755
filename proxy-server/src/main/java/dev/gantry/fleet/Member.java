package dev.gantry.fleet;

import java.time.Instant;

/**
 * A replica of the fleet as this replica knows it.
 *
 * @param id its fleet id; for a member known only from configuration, its address
 * @param address {@code host:port} at which the others reach it
 * @param version its Gantry version; null when known only from configuration
 * @param startedAt when it started; null when known only from configuration
 * @param heartbeatAt its last heartbeat, by the bucket's clock (its record's LastModified, to the second on S3);
 *     null for this replica and configured members
 * @param source {@code self}, {@code bucket} (a live heartbeat) or {@code static} (configuration)
 */
public record Member(String id, String address, String version, Instant startedAt, Instant heartbeatAt, String source) {
}
