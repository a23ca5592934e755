package dev.gantry.schema;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * Why a finding was made: what was found ({@code kind} and {@code name}, e.g.
 * {@code cpu-feature}/{@code avx2}), the rule that matched, and where: a layer
 * digest and path, or a config environment variable, label or field. Fields
 * that do not apply are null and left out of the JSON.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Evidence(
        String kind, String name, Level level, String rule,
        String layer, String path, String env, String label, String config, String detail) {

    /** Kinds of finding, as spelled in JSON. */
    public static final String CPU_FEATURE = "cpu-feature";
    public static final String HARDWARE = "hardware";
    public static final String DEVICE_NODE = "device-node";
    public static final String VOLUME = "volume";
    public static final String CPU_LEVEL = "cpu-level";
    /**
     * A CPU feature of the C runtime's own code (glibc's IFUNC variants, libgcc_s's unwinder):
     * listed for the record, never a feature the image requires or supports.
     */
    public static final String RUNTIME_CPU_FEATURE = "runtime-cpu-feature";

    public Evidence {
        requireNonNull(kind, "kind");
        requireNonNull(name, "name");
        requireNonNull(rule, "rule");
    }
}
