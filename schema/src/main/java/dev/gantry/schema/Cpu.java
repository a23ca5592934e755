package dev.gantry.schema;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Map;

/**
 * {@code platform.cpu}: the instruction set ({@code uname -m} spelling), the
 * x86-64 micro-architecture level required (x86_64 only, else null), and CPU
 * features beyond the architecture's baseline named as in {@code /proc/cpuinfo},
 * each {@code supported} or {@code required}. Features are kept sorted so
 * equal documents serialise to equal bytes.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Cpu(String architecture, String level, Map<String, Level> features) {
    public Cpu {
        requireNonNull(architecture, "architecture");
        features = Collections2.sorted(features);
    }
}
