package dev.gantry.hardware;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.gantry.schema.HardwareDocument;
import dev.gantry.schema.Level;
import java.util.ArrayList;
import java.util.List;

/**
 * One image platform a search found, as {@code GET /v2/_gantry/search}
 * lists it. The JSON shape is a published API (the web console reads it):
 * add fields, never rename or remove them.
 *
 * @param index the index the platform manifest belongs to (its tags are the index's), or null
 * @param verdict for a search with a host profile: {@code runs} or {@code runs-degraded}; else null
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"repository", "tags", "digest", "index", "platform", "hardware", "cpu", "devices", "volumes", "verdict"})
public record SearchResult(
        @JsonProperty("repository") String repository,
        @JsonProperty("tags") List<String> tags,
        @JsonProperty("digest") String digest,
        @JsonProperty("index") String index,
        @JsonProperty("platform") PlatformName platform,
        @JsonProperty("hardware") List<HardwareClass> hardware,
        @JsonProperty("cpu") CpuNeeds cpu,
        @JsonProperty("devices") List<String> devices,
        @JsonProperty("volumes") List<String> volumes,
        @JsonProperty("verdict") String verdict) {

    /** {@code os}, {@code architecture}, {@code variant} (absent when none). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record PlatformName(@JsonProperty("os") String os, @JsonProperty("architecture") String architecture,
                               @JsonProperty("variant") String variant) {
    }

    /** A device class and how much the image depends on it. */
    public record HardwareClass(@JsonProperty("class") String name, @JsonProperty("level") Level level) {
    }

    /** The x86-64 level required (null off x86-64) and the CPU features required and supported. */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record CpuNeeds(@JsonProperty("level") String level, @JsonProperty("required") List<String> required,
                           @JsonProperty("supported") List<String> supported) {
    }

    static SearchResult of(CatalogEntry e, String verdict) {
        HardwareDocument doc = e.document();
        var p = doc.platform();
        List<HardwareClass> hardware = new ArrayList<>();
        p.hardware().forEach((name, level) -> hardware.add(new HardwareClass(name, level)));
        List<String> required = new ArrayList<>();
        List<String> supported = new ArrayList<>();
        p.cpu().features().forEach((name, level) -> (level == Level.REQUIRED ? required : supported).add(name));
        return new SearchResult(e.repository(), e.tags(), e.digest().toString(), e.index() == null ? null : e.index().toString(),
                new PlatformName(p.os(), p.architecture(), p.variant()), hardware, new CpuNeeds(p.cpu().level(), required, supported),
                doc.passthruDevices(), doc.volumes(), verdict);
    }
}
