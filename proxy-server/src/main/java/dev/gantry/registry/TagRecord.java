package dev.gantry.registry;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.gantry.oci.Digest;
import java.time.Instant;

/**
 * What Gantry knows of a tag: the manifest it pointed at, when that was last
 * confirmed upstream ({@code checkedAt}) and when it last changed
 * ({@code changedAt}: prefetch uses it to tell recently updated repositories).
 */
record TagRecord(
        @JsonProperty("digest") String digest,
        @JsonProperty("mediaType") String mediaType,
        @JsonProperty("checkedAt") Instant checkedAt,
        @JsonProperty("changedAt") Instant changedAt) {

    Digest parsedDigest() {
        return Digest.parse(digest);
    }

    TagRecord checked(Instant at) {
        return new TagRecord(digest, mediaType, at, changedAt);
    }
}
