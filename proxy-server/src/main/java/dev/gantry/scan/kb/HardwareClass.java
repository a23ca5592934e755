package dev.gantry.scan.kb;

import java.util.List;

/**
 * A device class of the knowledge base ({@code gpu.nvidia}, {@code kvm}...):
 * the Container Device Interface names, device nodes and volumes that give it
 * to a container.
 */
public record HardwareClass(String name, String description, List<String> cdi, List<String> devices,
        List<String> volumes) {
    public HardwareClass {
        cdi = List.copyOf(cdi);
        devices = List.copyOf(devices);
        volumes = List.copyOf(volumes);
    }
}
