package dev.gantry.scan.kb;

import dev.gantry.schema.Level;
import java.util.List;

/**
 * What a rule's match means.
 *
 * @param hardware a device class name, or null
 * @param cpu CPU feature flags ({@code x86-64-vN} already expanded to its features)
 * @param level the level of the finding
 * @param entrypointLevel the level when the matched file is a program the image's command line runs, or null
 * @param closureLevel the level when the matched file is one the entry point loads (the programs it runs and
 *     their {@code DT_NEEDED} closure), or null
 * @param volumes volumes the container expects besides the hardware class's
 * @param constraint how to read a matched value as a constraint ({@code nvidia-require},
 *     {@code cuda-version}), or null
 */
public record Implication(String hardware, List<String> cpu, Level level, Level entrypointLevel,
        Level closureLevel, List<String> volumes, String constraint) {
    public Implication {
        cpu = List.copyOf(cpu);
        volumes = List.copyOf(volumes);
    }
}
