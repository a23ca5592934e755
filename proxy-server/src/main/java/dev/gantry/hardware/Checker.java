package dev.gantry.hardware;

import dev.gantry.schema.Device;
import dev.gantry.schema.HardwareDocument;
import dev.gantry.schema.Level;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The paper's hardware-aware runner, as a function: a host profile against
 * an image's documents gives a verdict with reasons and the exact
 * {@code docker run} flags. A required feature the host lacks fails; a
 * supported one degrades; a device the host has becomes a flag.
 *
 * <p>"Degraded" means code the image itself runs takes a slower path (or a
 * device it can use is absent): a supported feature counts only when code
 * the entry point loads uses it — features that only files it never loads
 * use (the document's {@code cpu.notLoaded}: test programs, plugins, other
 * packages' libraries) are an "info" reason at most — and the document's CPU
 * features never include the C runtime's own dispatch (glibc's IFUNC
 * variants, libgcc_s), so a plain program linked only to glibc runs, not
 * degraded, on every CPU of its architecture.
 */
final class Checker {

    /** {@code /proc/cpuinfo} spells some features differently from instruction-set names. */
    private static final Map<String, List<String>> ALIASES = Map.of(
            "sse3", List.of("pni"), "lzcnt", List.of("abm"), "sha", List.of("sha_ni"), "sha_ni", List.of("sha"),
            "pclmul", List.of("pclmulqdq"), "fma3", List.of("fma"));

    /** PCI vendor IDs that say a device class's hardware is there, though its nodes are not (no driver loaded). */
    private static final Map<String, String> VENDORS = Map.of("gpu.nvidia", "10de", "gpu.amd", "1002", "fpga.xilinx", "10ee",
            "accel.habana", "1da3");

    private Checker() {
    }

    static Verdict check(String image, List<HardwareService.PlatformDocument> docs, HostProfile host) {
        String arch = host.ociArchitecture();
        HardwareDocument doc = null;
        for (HardwareService.PlatformDocument d : docs) {
            var p = d.document().platform();
            if (p.os().equals(host.os()) && (arch == null || p.architecture().equals(arch))) {
                doc = d.document();
                break;
            }
        }
        List<Verdict.Reason> reasons = new ArrayList<>();
        Set<String> flags = new LinkedHashSet<>();
        if (doc == null) {
            return noPlatform(image, host,
                    docs.stream().map(d -> d.document().platform().os() + "/" + d.document().platform().architecture()).toList());
        }
        cpu(doc, host, reasons);
        devices(doc, host, reasons, flags);
        for (String v : doc.volumes()) {
            if (v.endsWith("docker.sock")) {
                flags.add("-v /var/run/docker.sock:" + v);
                reasons.add(new Verdict.Reason("info", "the image talks to the Docker engine through " + v,
                        "bind-mount the socket (grants it control of the host's containers): -v /var/run/docker.sock:" + v));
            } else {
                flags.add("-v <host-dir>:" + v);
                reasons.add(new Verdict.Reason("info", "the image keeps data in the volume " + v, "mount storage there: -v <host-dir>:" + v));
            }
        }
        boolean fail = reasons.stream().anyMatch(r -> r.severity().equals("fail"));
        boolean degraded = reasons.stream().anyMatch(r -> r.severity().equals("degraded"));
        String platform = doc.platform().os() + "/" + doc.platform().architecture()
                + (doc.platform().variant() == null ? "" : "/" + doc.platform().variant());
        return new Verdict(fail ? Verdict.WILL_FAIL : degraded ? Verdict.DEGRADED : Verdict.RUNS, image, platform, reasons, List.copyOf(flags));
    }

    /** The verdict for an image with no platform for this host's: {@code offered} are the platforms it has. */
    static Verdict noPlatform(String image, HostProfile host, List<String> offered) {
        String arch = host.ociArchitecture();
        return new Verdict(Verdict.WILL_FAIL, image, null, List.of(new Verdict.Reason("fail",
                "the image has no " + host.os() + "/" + arch + " platform (it has " + offered + ")",
                "run it on a " + String.join(" or ", offered) + " host, or publish a " + host.os() + "/" + arch + " build")),
                List.of());
    }

    private static void cpu(HardwareDocument doc, HostProfile host, List<Verdict.Reason> reasons) {
        String level = doc.platform().cpu().level();
        // The document's level is the lowest x86-64 level holding every required feature, but a CPU can
        // have those features without the whole level (SandyBridge: AVX without AVX2). So the level is a
        // failure only beside a required feature this host lacks; a declared level (ISA note, GOAMD64)
        // makes all of its features required, so it still fails where the loader would refuse the CPU.
        boolean lacksRequired = doc.platform().cpu().features().entrySet().stream()
                .anyMatch(e -> e.getValue() == Level.REQUIRED && !hasFlag(host, e.getKey()));
        if (lacksRequired && level != null && level.startsWith("x86-64-v") && host.x86Level() > 0) {
            int needed = level.charAt(level.length() - 1) - '0';
            if (needed > host.x86Level()) {
                reasons.add(new Verdict.Reason("fail", "the image needs an " + level + " CPU; this host's reaches x86-64-v" + host.x86Level(),
                        "run it on a newer CPU (" + level + ": " + (needed >= 4 ? "AVX-512" : "AVX2, BMI2, FMA") + "), or use a build for x86-64-v"
                                + host.x86Level()));
            }
        }
        // Each missing required feature is its own failure; the optional ones (behind run-time
        // dispatch) are one reason, since a modern library easily names twenty of them.
        List<String> optional = new ArrayList<>();
        List<String> unused = new ArrayList<>();
        List<String> notLoaded = doc.platform().cpu().notLoaded();
        doc.platform().cpu().features().forEach((feature, lvl) -> {
            if (hasFlag(host, feature)) {
                return;
            }
            if (lvl == Level.REQUIRED) {
                reasons.add(new Verdict.Reason("fail", "this host's CPU lacks " + feature + ", which the image uses without a fallback",
                        "run it on a CPU with " + feature + ", or use a build that does not require it"));
            } else if (notLoaded.contains(feature)) {
                unused.add(feature);
            } else {
                optional.add(feature);
            }
        });
        if (!unused.isEmpty()) {
            String list = String.join(", ", unused);
            reasons.add(new Verdict.Reason("info", "this host's CPU lacks " + list + ", used only by files the entry point does not load",
                    "nothing to do unless you run those files yourself (see the document's evidence)"));
        }
        if (!optional.isEmpty()) {
            String list = String.join(", ", optional);
            reasons.add(new Verdict.Reason("degraded", "this host's CPU lacks " + list + "; the image falls back to slower code",
                    "expect lower performance, or run it on a CPU with " + list));
        }
    }

    private static boolean hasFlag(HostProfile host, String feature) {
        if (host.cpuFlags().contains(feature)) {
            return true;
        }
        for (String alias : ALIASES.getOrDefault(feature, List.of())) {
            if (host.cpuFlags().contains(alias)) {
                return true;
            }
        }
        return false;
    }

    private static void devices(HardwareDocument doc, HostProfile host, List<Verdict.Reason> reasons, Set<String> flags) {
        Set<String> covered = new LinkedHashSet<>();
        for (Device d : doc.devices()) {
            if (d.nodes().isEmpty() && d.needs().isEmpty() && d.cdi().isEmpty() && !VENDORS.containsKey(d.name())
                    && !d.name().equals("sgx")) {
                // a class that needs no device (software rendering on the CPU): nothing to pass, nothing missing
                continue;
            }
            List<String> nodes = new ArrayList<>(d.nodes());
            d.needs().stream().filter(n -> !nodes.contains(n)).forEach(nodes::add);
            List<String> present = matching(host.devices(), nodes);
            // One of the nodes the class needs: any node of it is not enough (every host has /dev/net/tun, not
            // every host /dev/kvm; an Intel GPU's /dev/dri is no AMD GPU's /dev/kfd).
            boolean nodeThere = d.needs().isEmpty() ? !present.isEmpty() : !matching(host.devices(), d.needs()).isEmpty();
            String cdi = d.cdi().stream().filter(host.cdiDevices()::contains).findFirst().orElse(null);
            if (nodeThere || cdi != null) {
                if (d.name().equals("gpu.nvidia") && cdi == null) {
                    flags.add("--gpus all");
                } else if (cdi != null) {
                    flags.add("--device " + cdi);
                } else {
                    present.forEach(node -> flags.add("--device " + node));
                }
                covered.addAll(d.nodes());
                continue;
            }
            // The hardware without its device (a GPU whose driver is not loaded, SGX the CPU has but no enclave
            // device): a container cannot use it, so it counts as absent, with the reason said.
            String vendor = VENDORS.get(d.name());
            boolean hardwareOnly = (vendor != null && host.pciVendors().contains(vendor))
                    || (d.name().equals("sgx") && host.cpuFlags().contains("sgx"));
            String need = nodes.isEmpty() ? d.name() : d.name() + " (" + String.join(", ", d.needs().isEmpty() ? nodes : d.needs()) + ")";
            String why = hardwareOnly ? "this host has " + d.name() + " hardware but no device node for it (" + String.join(", ",
                    d.needs().isEmpty() ? nodes : d.needs()) + ")" : "this host has no " + need;
            String driver = hardwareOnly ? "load its driver so its device nodes appear, or run it on a host with " + d.name()
                    : "run it on a host with " + d.name();
            if (d.level() == Level.REQUIRED) {
                reasons.add(new Verdict.Reason("fail", why + ", which the image requires",
                        driver + (d.cdi().isEmpty() ? "" : " and its CDI spec (" + String.join(", ", d.cdi()) + ")")));
            } else {
                reasons.add(new Verdict.Reason("degraded", why + "; the image can use it when present",
                        "expect reduced functionality, or " + driver));
            }
            covered.addAll(d.nodes());
        }
        for (String node : doc.passthruDevices()) {
            if (covered.contains(node)) {
                continue;
            }
            List<String> present = matching(host.devices(), List.of(node));
            if (present.isEmpty()) {
                // Not a node of any class the image asks for: one its entry point's command line names, which
                // the program opens (-d /dev/video2); without it, it fails, whichever other node of the class is here.
                reasons.add(new Verdict.Reason("fail", "this host has no " + node + ", which the image's command line opens",
                        "provide " + node + " (docker run --device " + node + "), or change the command to a device this host has"));
            } else {
                present.forEach(n -> flags.add("--device " + n));
            }
        }
    }

    /**
     * Host device nodes matching any of the (glob) patterns; a concrete directory such as
     * {@code /dev/dri} is present, as itself, when the host has a node under it.
     */
    private static List<String> matching(Set<String> hostDevices, List<String> patterns) {
        List<String> out = new ArrayList<>();
        for (String pattern : patterns) {
            if (pattern.chars().noneMatch(ch -> "*?[{".indexOf(ch) >= 0)
                    && hostDevices.stream().anyMatch(n -> n.startsWith(pattern + "/"))) {
                if (!out.contains(pattern)) {
                    out.add(pattern);
                }
                continue;
            }
            PathMatcher m;
            try {
                m = FileSystems.getDefault().getPathMatcher("glob:" + pattern);
            } catch (IllegalArgumentException e) {
                continue;
            }
            for (String node : hostDevices) {
                if (m.matches(Path.of(node)) && !out.contains(node)) {
                    out.add(node);
                }
            }
        }
        out.sort(String::compareTo);
        return out;
    }
}
