package dev.gantry.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.gantry.hardware.HostProfile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
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

    /** {@code /dev/bus/usb/001/002} is four levels down; one more for vendors' nested directories. */
    private static final int MAX_DEV_DEPTH = 5;

    private final Path root;

    /** @param root the file system root to read from ({@code /}, or a recorded copy in tests) */
    HostProbe(Path root) {
        this.root = root;
    }

    /**
     * This host's profile.
     *
     * @throws IllegalStateException where the CPU's features cannot be read (not Linux, no {@code /proc}): a
     *     verdict from an empty flag set would say "will fail" for every image, where the truth is "could not tell"
     */
    HostProfile probe() {
        Set<String> flags = cpuFlags();
        if (flags.isEmpty()) {
            throw new IllegalStateException("cannot read this host's CPU features from " + root.resolve("proc/cpuinfo")
                    + " (gantry check probes Linux hosts; elsewhere give --profile FILE, recorded on the host that runs the image)");
        }
        return new HostProfile("linux", architecture(), flags, devices(), pciVendors(), modules(), cdiDevices());
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

    /**
     * Device nodes under {@code /dev}, down to {@code /dev/bus/usb/001/002}; a directory that cannot be read is
     * skipped, not the rest of the walk, and {@code pts}, {@code shm} and {@code mqueue} are not walked.
     */
    Set<String> devices() {
        Set<String> nodes = new TreeSet<>();
        Path dev = root.resolve("dev");
        if (!Files.isDirectory(dev)) {
            return nodes;
        }
        try {
            Files.walkFileTree(dev, Set.of(), MAX_DEV_DEPTH, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
                    String name = dev.relativize(d).toString();
                    return name.equals("pts") || name.equals("shm") || name.equals("mqueue")
                            ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path p, BasicFileAttributes attrs) {
                    if (!attrs.isDirectory()) {
                        nodes.add("/dev/" + dev.relativize(p).toString().replace('\\', '/'));
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path p, IOException e) {
                    return FileVisitResult.CONTINUE; // unreadable: not offered, the rest still is
                }
            });
        } catch (IOException | RuntimeException ignored) {
            // What was walked is offered.
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
            List<Path> specs;
            try (Stream<Path> listed = Files.list(d)) {
                specs = listed.filter(p -> p.toString().matches(".*\\.(ya?ml|json)$")).sorted().toList();
            } catch (IOException | RuntimeException e) {
                continue;
            }
            for (Path spec : specs) {
                try {
                    JsonNode n = yaml.readTree(spec.toFile());
                    String kind = n.path("kind").asText("");
                    for (JsonNode device : n.path("devices")) {
                        names.add(kind + "=" + device.path("name").asText());
                    }
                } catch (IOException | RuntimeException ignored) {
                    // A spec that cannot be read offers nothing; the others still do.
                }
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
