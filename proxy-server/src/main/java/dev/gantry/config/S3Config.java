package dev.gantry.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Duration;

/**
 * The shared S3 tier (AWS S3, MinIO, Ceph RGW…). Present only when
 * {@code bucket} is set. Replicas configured with the same bucket and prefix
 * share blobs, manifests, tag records and scan results.
 *
 * @param endpoint S3 API URL; omit for AWS
 * @param region signing region
 * @param prefix key prefix inside the bucket (e.g. {@code mirror/}), may be empty
 * @param pathStyle path-style addressing (MinIO, S3Proxy, Ceph usually want it)
 * @param retention blobs not read for this long are removed by the sweep, unless
 *     a retained manifest references them
 * @param sweepInterval how often each replica runs the retention sweep
 * @param accessKeyId static credentials; omit to use the SDK's default chain
 *     ({@code AWS_ACCESS_KEY_ID}, profiles, instance roles…)
 * @param secretAccessKey never logged
 */
public record S3Config(
        @JsonProperty("endpoint") String endpoint,
        @JsonProperty("region") String region,
        @JsonProperty("bucket") String bucket,
        @JsonProperty("prefix") String prefix,
        @JsonProperty("pathStyle") Boolean pathStyle,
        @JsonProperty("retention") Duration retention,
        @JsonProperty("sweepInterval") Duration sweepInterval,
        @JsonProperty("accessKeyId") String accessKeyId,
        @JsonProperty("secretAccessKey") String secretAccessKey) {

    public S3Config {
        region = region != null ? region : "us-east-1";
        prefix = prefix != null ? prefix : "";
        pathStyle = pathStyle != null && pathStyle;
        retention = retention != null ? retention : Duration.ofDays(30);
        sweepInterval = sweepInterval != null ? sweepInterval : Duration.ofHours(6);
    }

    public boolean enabled() {
        return bucket != null && !bucket.isBlank();
    }

    /** Never prints the secret. */
    @Override
    public String toString() {
        return "S3Config[endpoint=" + endpoint + ", region=" + region + ", bucket=" + bucket + ", prefix=" + prefix
                + ", pathStyle=" + pathStyle + ", retention=" + retention + ", credentials="
                + (accessKeyId != null ? "static" : "default chain") + "]";
    }
}
