package dev.gantry.scan.kb;

import java.util.List;

/**
 * A device class of the knowledge base ({@code gpu.nvidia}, {@code kvm}...):
 * the Container Device Interface names, device nodes and volumes that give it
 * to a container.
 *
 * @param cdi CDI names a vendor publishes for it ({@code nvidia.com/gpu=all}); empty when none is real
 * @param devices concrete paths {@code docker run --device} accepts (a node, or a directory such as
 *     {@code /dev/dri}); never patterns
 * @param patterns globs for the further nodes a host may have ({@code /dev/nvidia[0-9]*}): evidence
 *     and host matching only, never passed to {@code docker run}
 * @param needs nodes (paths or globs) of which a host must have one to have the class at all
 *     ({@code /dev/kvm} for {@code kvm}, not the {@code /dev/net/tun} every host has); empty: any of
 *     {@code devices} and {@code patterns}
 */
public record HardwareClass(String name, String description, List<String> cdi, List<String> devices,
        List<String> patterns, List<String> volumes, List<String> needs) {
    public HardwareClass {
        cdi = List.copyOf(cdi);
        devices = List.copyOf(devices);
        patterns = List.copyOf(patterns);
        volumes = List.copyOf(volumes);
        needs = List.copyOf(needs);
    }
}
