package dev.gantry.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Duration;
import java.util.List;

/**
 * How replicas on one S3 bucket find each other and share what upstreams
 * said about their rate limits. Without {@code storage.s3} a replica is a
 * fleet of one (plus any {@code members} listed here) and nothing changes.
 *
 * @param id this replica's name in the fleet; empty: the host name and a random suffix
 * @param advertise {@code host:port} at which the other replicas reach this one; empty: this
 *     host's address and the bound port
 * @param members {@code host:port} of replicas known from configuration (listed as members
 *     whether or not they write heartbeats)
 * @param heartbeat how often this replica writes its heartbeat (and its rate-limit view) to the bucket
 * @param poll how often it lists the others' records (reading one only when it changed): their liveness and rate-limit
 *     views; null: {@link #poll(boolean)} picks it
 * @param memberTtl a replica whose last heartbeat is older than this is no longer a member
 */
public record FleetConfig(
        @JsonProperty("id") String id,
        @JsonProperty("advertise") String advertise,
        @JsonProperty("members") List<String> members,
        @JsonProperty("heartbeat") Duration heartbeat,
        @JsonProperty("poll") Duration poll,
        @JsonProperty("memberTtl") Duration memberTtl) {

    public FleetConfig {
        id = id == null || id.isBlank() ? null : id.trim();
        advertise = advertise == null || advertise.isBlank() ? null : advertise.trim();
        members = members == null ? List.of() : List.copyOf(members);
        heartbeat = heartbeat != null ? heartbeat : Duration.ofSeconds(5);
        memberTtl = memberTtl != null ? memberTtl : Duration.ofSeconds(15);
    }

    /** The poll when none is configured and the replicas tell each other what they learn over the peer channel. */
    public static final Duration POLL_WITH_PEER_CHANNEL = Duration.ofSeconds(5);
    /** The poll when none is configured and the bucket is the only way a rate-limit reading travels. */
    public static final Duration POLL_BUCKET_ONLY = Duration.ofMillis(500);

    /**
     * How often the bucket is listed: the configured poll, else {@link #POLL_WITH_PEER_CHANNEL} when the replicas
     * share a peer channel (a reading reaches the others over it at once; the poll then only finds members and
     * backs the channel up) and {@link #POLL_BUCKET_ONLY} when they do not (a reading waits for the others' poll).
     */
    public Duration poll(boolean peerChannel) {
        if (poll != null) {
            return poll;
        }
        return peerChannel ? POLL_WITH_PEER_CHANNEL : POLL_BUCKET_ONLY;
    }

    /** Every default. */
    public static FleetConfig defaults() {
        return new FleetConfig(null, null, null, null, null, null);
    }
}
