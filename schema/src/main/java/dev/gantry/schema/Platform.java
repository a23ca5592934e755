package dev.gantry.schema;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Map;

/**
 * The extended platform object: the OCI {@code architecture}, {@code os} and
 * {@code variant}, plus the paper's {@code cpu} and {@code hardware} (device
 * class such as {@code gpu.nvidia} to level), sorted for stable bytes.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Platform(String architecture, String os, String variant, Cpu cpu, Map<String, Level> hardware) {
    public Platform {
        requireNonNull(architecture, "architecture");
        requireNonNull(os, "os");
        requireNonNull(cpu, "cpu");
        hardware = Collections2.sorted(hardware);
    }
}
