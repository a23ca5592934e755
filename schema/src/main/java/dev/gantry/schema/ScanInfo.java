package dev.gantry.schema;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * The {@code scan} object: the overall status (the worst of the layers'),
 * when the document was assembled (RFC 3339), the scanner and knowledge-base
 * versions that produced it (a document of another version is stale), per-layer
 * outcomes, and notes such as an entrypoint that could not be resolved.
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record ScanInfo(
        ScanStatus status, String time, String scanner, String knowledgeBase,
        List<LayerStatus> layers, List<String> notes) {
    public ScanInfo {
        requireNonNull(status, "status");
        requireNonNull(time, "time");
        requireNonNull(scanner, "scanner");
        requireNonNull(knowledgeBase, "knowledgeBase");
        layers = Collections2.list(layers);
        notes = Collections2.list(notes);
    }
}
