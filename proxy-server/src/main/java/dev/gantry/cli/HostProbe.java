package dev.gantry.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.gantry.hardware.HostProfile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * What this host offers, read where Linux publishes it: CPU flags from
 * {@code /proc/cpuinfo} ({@code flags} on x86, {@code Features} on arm64),
 * device nodes under {@code /dev}, PCI vendor IDs from {@code /sys/bus/pci},
 * loaded modules from {@code /proc/modules}, CDI device names from the specs
 * in {@code /etc/cdi} and {@code /var/run/cdi}. Any of these may be missing
 * (a container, another OS); what cannot be read is left empty.
 */
final class HostProbe {

    private final Path root;

    /** @param root the file system root to read from ({@code /}, or a recorded copy in tests) */
    HostProbe(Path root) {
        this.root = root;
    }

    HostProfile probe() {
        return new HostProfile("linux", architecture(), cpuFlags(), devices(), pciVendors(), modules(), cdiDevices());
    }

    private String architecture() {
        String arch = System.getProperty("os.arch", "");
        return switch (arch) {
            case "amd64", "x86_64" -> "x86_64";
            case "aarch64", "arm64" -> "aarch64";
            default -> arch;
        };
    }

    Set<String> cpuFlags() {
        Set<String> flags = new TreeSet<>();
        for (String line : lines(root.resolve("proc/cpuinfo"))) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String key = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            if (key.equals("flags") || key.equals("features")) {
                flags.addAll(Arrays.asList(line.substring(colon + 1).trim().split("\\s+")));
                break;
            }
        }
        flags.remove("");
        return flags;
    }

    Set<String> devices() {
        Set<String> nodes = new TreeSet<>();
        Path dev = root.resolve("dev");
        if (!Files.isDirectory(dev)) {
            return nodes;
        }
        try (Stream<Path> walk = Files.walk(dev, 3)) {
            walk.filter(p -> !p.equals(dev) && !Files.isDirectory(p))
                    .map(p -> "/dev/" + dev.relativize(p).toString().replace('\\', '/'))
                    .filter(p -> !p.startsWith("/dev/pts/") && !p.startsWith("/dev/shm/") && !p.startsWith("/dev/mqueue/"))
                    .forEach(nodes::add);
        } catch (IOException | RuntimeException ignored) {
            // Unreadable parts of /dev are simply not offered.
        }
        return nodes;
    }

    Set<String> pciVendors() {
        Set<String> vendors = new TreeSet<>();
        Path pci = root.resolve("sys/bus/pci/devices");
        if (!Files.isDirectory(pci)) {
            return vendors;
        }
        try (Stream<Path> devs = Files.list(pci)) {
            devs.forEach(d -> {
                List<String> v = lines(d.resolve("vendor"));
                if (!v.isEmpty()) {
                    vendors.add(v.get(0).trim().toLowerCase(Locale.ROOT).replaceFirst("^0x", ""));
                }
            });
        } catch (IOException ignored) {
            // No PCI information.
        }
        return vendors;
    }

    Set<String> modules() {
        Set<String> modules = new TreeSet<>();
        for (String line : lines(root.resolve("proc/modules"))) {
            int space = line.indexOf(' ');
            if (space > 0) {
                modules.add(line.substring(0, space));
            }
        }
        return modules;
    }

    List<String> cdiDevices() {
        List<String> names = new ArrayList<>();
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        for (String dir : List.of("etc/cdi", "var/run/cdi")) {
            Path d = root.resolve(dir);
            if (!Files.isDirectory(d)) {
                continue;
            }
            try (Stream<Path> specs = Files.list(d)) {
                for (Path spec : specs.filter(p -> p.toString().matches(".*\\.(ya?ml|json)$")).toList()) {
                    JsonNode n = yaml.readTree(spec.toFile());
                    String kind = n.path("kind").asText("");
                    for (JsonNode device : n.path("devices")) {
                        names.add(kind + "=" + device.path("name").asText());
                    }
                }
            } catch (IOException | RuntimeException ignored) {
                // A spec that cannot be read offers nothing.
            }
        }
        return names;
    }

    private static List<String> lines(Path p) {
        try {
            return Files.readAllLines(p, StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }
}
