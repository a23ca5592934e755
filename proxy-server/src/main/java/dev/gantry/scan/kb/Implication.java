package dev.gantry.scan.kb;

import dev.gantry.schema.Level;
import java.util.List;

/**
 * What a rule's match means.
 *
 * @param hardware a device class name, or null
 * @param cpu CPU feature flags ({@code x86-64-vN} already expanded to its features)
 * @param level the level of the finding
 * @param entrypointLevel the level when the match is the image's entrypoint, or null
 * @param volumes volumes the container expects besides the hardware class's
 * @param constraint how to read a matched value as a constraint ({@code nvidia-require},
 *     {@code cuda-version}), or null
 */
public record Implication(String hardware, List<String> cpu, Level level, Level entrypointLevel,
        List<String> volumes, String constraint) {
    public Implication {
        cpu = List.copyOf(cpu);
        volumes = List.copyOf(volumes);
    }
}
