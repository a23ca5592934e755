package dev.gantry.oci;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Map;

/**
 * An OCI content descriptor. {@code digest} is kept as the text the manifest
 * carried; {@link #parsedDigest()} validates it.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record Descriptor(
        @JsonProperty("mediaType") String mediaType,
        @JsonProperty("digest") String digest,
        @JsonProperty("size") long size,
        @JsonProperty("platform") Platform platform,
        @JsonProperty("artifactType") String artifactType,
        @JsonProperty("annotations") Map<String, String> annotations) {

    public Descriptor(String mediaType, Digest digest, long size) {
        this(mediaType, digest.toString(), size, null, null, null);
    }

    /**
     * The digest, validated.
     *
     * @throws RegistryException {@code MANIFEST_INVALID} when a manifest carries a bad digest
     */
    public Digest parsedDigest() {
        try {
            return Digest.parse(digest);
        } catch (RegistryException e) {
            throw new RegistryException(ErrorCode.MANIFEST_INVALID, "descriptor has an invalid digest: " + e.getMessage());
        }
    }
}
