package dev.gantry.schema;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.annotation.JsonInclude;

/** How the scan of one layer ended, with the reason when not complete, and the compressed bytes read. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record LayerStatus(String digest, ScanStatus status, String reason, Long bytes) {
    public LayerStatus {
        requireNonNull(digest, "digest");
        requireNonNull(status, "status");
    }
}
