package dev.gantry.schema;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/**
 * {@code platform.cpu}: the instruction set ({@code uname -m} spelling), the
 * x86-64 micro-architecture level required (x86_64 only, else null), and CPU
 * features beyond the architecture's baseline named as in {@code /proc/cpuinfo},
 * each {@code supported} or {@code required}. {@code notLoaded} lists the
 * supported features that only files the entry point does not load use: no
 * code the image runs takes a slower path without them. Features are kept
 * sorted so equal documents serialise to equal bytes.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Cpu(String architecture, String level, Map<String, Level> features,
        @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> notLoaded) {
    public Cpu {
        requireNonNull(architecture, "architecture");
        features = Collections2.sorted(features);
        notLoaded = notLoaded == null ? List.of() : notLoaded.stream().sorted().distinct().toList();
    }

    /** A CPU whose supported features all come from code the image runs (or where that is unknown). */
    public Cpu(String architecture, String level, Map<String, Level> features) {
        this(architecture, level, features, List.of());
    }
}
