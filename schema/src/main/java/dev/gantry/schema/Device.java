package dev.gantry.schema;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * A device class the image asks for ({@code gpu.nvidia}, {@code kvm}...), with
 * the Container Device Interface names and device nodes that provide it, the
 * nodes of which a host must have one to have the class at all ({@code needs}:
 * {@code /dev/kvm}, not the {@code /dev/net/tun} every host has; empty: any
 * node), and the constraints the image states about it.
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record Device(String name, Level level, List<String> cdi, List<String> nodes, List<String> needs,
                     List<Constraint> constraints) {
    public Device {
        requireNonNull(name, "name");
        requireNonNull(level, "level");
        cdi = Collections2.list(cdi);
        nodes = Collections2.list(nodes);
        needs = Collections2.list(needs);
        constraints = Collections2.list(constraints);
    }
}
