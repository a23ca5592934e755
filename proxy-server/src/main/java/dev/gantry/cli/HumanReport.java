package dev.gantry.cli;

import dev.gantry.schema.Device;
import dev.gantry.schema.Evidence;
import dev.gantry.schema.HardwareDocument;
import dev.gantry.schema.Level;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** Prints a hardware document for people: what is required, what is supported, how to give it, and why. */
final class HumanReport {
    private final PrintWriter out;

    HumanReport(PrintWriter out) {
        this.out = out;
    }

    void print(HardwareDocument d) {
        var p = d.platform();
        out.println(p.os() + "/" + p.architecture() + (p.variant() == null ? "" : "/" + p.variant())
                + (d.subject() == null ? "" : "  " + d.subject().digest()));
        out.println("  scan: " + d.scan().status().json() + ", knowledge base " + shortDigest(d.scan().knowledgeBase()));
        out.println("  cpu: " + p.cpu().architecture() + (p.cpu().level() == null ? "" : " " + p.cpu().level()));
        line("    required", levels(p.cpu().features(), Level.REQUIRED));
        line("    supported", levels(p.cpu().features(), Level.SUPPORTED));
        line("      of which only in files the entry point does not load", p.cpu().notLoaded());
        line("  hardware required", levels(p.hardware(), Level.REQUIRED));
        line("  hardware supported", levels(p.hardware(), Level.SUPPORTED));
        for (Device dev : d.devices()) {
            String give = !dev.cdi().isEmpty() ? "--device " + dev.cdi().get(0)
                    : dev.nodes().stream().map(n -> "--device " + n).collect(Collectors.joining(" "));
            out.println("  " + dev.name() + " (" + dev.level().json() + "): " + give);
            dev.constraints().forEach(c -> out.println("    " + c.name() + "=" + c.expression()));
        }
        line("  passthru-devices", d.passthruDevices());
        line("  volumes", d.volumes());
        if (!d.evidence().isEmpty()) {
            out.println("  evidence:");
            for (Evidence e : d.evidence()) {
                String where = e.path() != null ? e.path() : e.env() != null ? "env " + e.env()
                        : e.label() != null ? "label " + e.label() : e.config() != null ? e.config() : "";
                out.println("    " + e.name() + (e.level() == null ? "" : " " + e.level().json()) + "  [" + e.rule()
                        + "] " + where + (e.detail() == null ? "" : "  (" + e.detail() + ")"));
            }
        }
        for (String n : d.scan().notes()) {
            out.println("  note: " + n);
        }
        out.println();
    }

    private void line(String label, List<String> values) {
        if (!values.isEmpty()) {
            out.println(label + ": " + String.join(", ", values));
        }
    }

    private static List<String> levels(Map<String, Level> map, Level level) {
        return map.entrySet().stream().filter(e -> e.getValue() == level).map(Map.Entry::getKey).toList();
    }

    private static String shortDigest(String d) {
        return d.length() > 19 ? d.substring(0, 19) : d;
    }
}
