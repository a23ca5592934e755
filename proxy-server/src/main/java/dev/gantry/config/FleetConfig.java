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
 * @param poll how often it lists the others' records (reading one only when it changed): their liveness and rate-limit views
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
        heartbeat = heartbeat != null ? heartbeat : Duration.ofSeconds(1);
        poll = poll != null ? poll : Duration.ofMillis(500);
        memberTtl = memberTtl != null ? memberTtl : Duration.ofSeconds(5);
    }

    /** Every default. */
    public static FleetConfig defaults() {
        return new FleetConfig(null, null, null, null, null, null);
    }
}
