package dev.gantry.registry;

import dev.gantry.oci.Digest;
import java.util.Objects;

/**
 * A manifest to send: its exact bytes, media type and digest.
 *
 * @param staleReason why a stale answer was served, or null when it is fresh
 */
public record ManifestResult(byte[] body, String mediaType, Digest digest, CacheOutcome outcome, String staleReason) {

    public ManifestResult {
        Objects.requireNonNull(body, "body");
        Objects.requireNonNull(mediaType, "mediaType");
        Objects.requireNonNull(digest, "digest");
        Objects.requireNonNull(outcome, "outcome");
    }

    ManifestResult withOutcome(CacheOutcome o, String reason) {
        return new ManifestResult(body, mediaType, digest, o, reason);
    }
}
