package dev.gantry.hardware;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.gantry.schema.HardwareDocument;
import java.util.Map;

/**
 * What Gantry keeps per platform manifest (under {@code hardware/<digest>} in
 * the metadata store, shared by replicas): the document, and the referrer
 * artifacts made from it. Made once, so the artifacts' digests are stable.
 *
 * @param knowledgeBase and {@code scanner}: the versions that produced it; another version is stale
 */
record HardwareRecord(
        @JsonProperty("knowledgeBase") String knowledgeBase,
        @JsonProperty("scanner") String scanner,
        @JsonProperty("document") HardwareDocument document,
        @JsonProperty("hardwareArtifact") Artifact hardwareArtifact,
        @JsonProperty("nfdArtifact") Artifact nfdArtifact) {

    /** A stored artifact manifest, as the referrers API lists it. */
    record Artifact(
            @JsonProperty("mediaType") String mediaType,
            @JsonProperty("digest") String digest,
            @JsonProperty("size") long size,
            @JsonProperty("artifactType") String artifactType,
            @JsonProperty("annotations") Map<String, String> annotations) {
    }
}
