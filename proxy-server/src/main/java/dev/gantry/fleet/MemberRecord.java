package dev.gantry.fleet;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.gantry.upstream.RateLimitState;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * What one replica writes to {@code fleet/members/<id>} in the bucket: who it
 * is and each upstream's rate-limit state as it knows it. Times are epoch
 * milliseconds (0: unknown); unknown fields are ignored, so a newer replica
 * may add some without breaking an older one. Equal records serialize to
 * equal bytes (map entries sorted), so a heartbeat that changes nothing keeps
 * the object's ETag and costs the readers no GET.
 *
 * <p>{@code heartbeatAt} is when the content last changed, by the writer's
 * clock: a member's liveness is its object's LastModified now. The field
 * stays for replicas of earlier versions, which take it for the last beat;
 * {@code liveness} ({@link #BY_LAST_MODIFIED}) tells this build's records
 * from theirs, so that while one of them is live, a record's {@code
 * heartbeatAt} is kept fresh for it (see {@code Fleet}).
 */
@JsonIgnoreProperties(ignoreUnknown = true)
record MemberRecord(
        @JsonProperty("id") String id,
        @JsonProperty("address") String address,
        @JsonProperty("version") String version,
        @JsonProperty("startedAt") long startedAt,
        @JsonProperty("heartbeatAt") long heartbeatAt,
        @JsonProperty("budgets") Map<String, Budget> budgets,
        @JsonProperty("liveness") String liveness) {

    /** This build's {@code liveness}: a member is live while its object's LastModified is recent. */
    static final String BY_LAST_MODIFIED = "lastModified";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

    MemberRecord {
        budgets = budgets == null ? Map.of() : Map.copyOf(budgets);
    }

    /** One upstream's {@link RateLimitState.Snapshot}, as written. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    record Budget(
            @JsonProperty("limit") long limit,
            @JsonProperty("remaining") long remaining,
            @JsonProperty("windowSeconds") long windowSeconds,
            @JsonProperty("retryAfterUntil") long retryAfterUntil,
            @JsonProperty("updatedAt") long updatedAt) {

        static Budget of(RateLimitState.Snapshot s) {
            return new Budget(s.limit(), s.remaining(), s.window() == null ? -1 : s.window().toSeconds(),
                    millis(s.retryAfterUntil()), millis(s.updatedAt()));
        }

        RateLimitState.Snapshot snapshot() {
            return new RateLimitState.Snapshot(limit, remaining, windowSeconds < 0 ? null : Duration.ofSeconds(windowSeconds),
                    instant(retryAfterUntil), instant(updatedAt));
        }
    }

    byte[] toJson() {
        try {
            return JSON.writeValueAsBytes(this);
        } catch (IOException e) {
            throw new IllegalStateException("a member record always serializes", e);
        }
    }

    /** @throws IOException when the bytes are not a member record */
    static MemberRecord parse(byte[] json) throws IOException {
        MemberRecord r = JSON.readValue(json, MemberRecord.class);
        if (r.id == null || r.address == null) {
            throw new IOException("member record without id or address");
        }
        return r;
    }

    /** Whether an earlier build wrote it: one that takes {@code heartbeatAt} for the member's last beat. */
    boolean fromAnEarlierBuild() {
        return liveness == null;
    }

    static long millis(Instant i) {
        return i == null ? 0 : i.toEpochMilli();
    }

    static Instant instant(long millis) {
        return millis <= 0 ? null : Instant.ofEpochMilli(millis);
    }
}
