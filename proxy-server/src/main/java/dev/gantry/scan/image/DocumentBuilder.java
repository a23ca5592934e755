package dev.gantry.scan.image;

import dev.gantry.scan.kb.HardwareClass;
import dev.gantry.scan.kb.KnowledgeBase;
import dev.gantry.scan.x86.X86Feature;
import dev.gantry.schema.Constraint;
import dev.gantry.schema.Cpu;
import dev.gantry.schema.Device;
import dev.gantry.schema.Evidence;
import dev.gantry.schema.Level;
import dev.gantry.schema.Platform;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Accumulates findings with their evidence and turns them into the parts of
 * a hardware document: feature and hardware levels (the strongest level any
 * evidence gives), devices with CDI names, nodes and constraints,
 * passthru-devices and volumes. Evidence is capped per rule and name, since
 * one rule can match thousands of files of a toolkit directory.
 *
 * <p>passthru-devices are only the concrete paths of the knowledge base's
 * {@code devices}, which {@code docker run --device} accepts; a class's
 * {@code patterns} ({@code /dev/nvidia[0-9]*}) go to its device's nodes and
 * to evidence, for a runner to expand against the host's {@code /dev}. A device path the entry
 * point's command line names ({@code -d /dev/video2}) is added as written.
 */
final class DocumentBuilder {
    static final int EVIDENCE_PER_RULE = 5;

    private final KnowledgeBase kb;
    private final Map<String, Level> cpu = new LinkedHashMap<>();
    private final Map<String, Level> hardware = new LinkedHashMap<>();
    private final Map<String, List<Constraint>> constraints = new LinkedHashMap<>();
    private final Set<String> volumes = new LinkedHashSet<>();
    private final Set<String> commandDevices = new LinkedHashSet<>();
    private final List<Evidence> evidence = new ArrayList<>();
    private final Map<String, Integer> perRule = new HashMap<>();
    private final List<String> notes = new ArrayList<>();
    private final Set<String> usedByLoaded = new HashSet<>();
    private boolean followed;
    private int requiredLevel = 1;

    DocumentBuilder(KnowledgeBase kb) {
        this.kb = kb;
    }

    void cpu(String flag, Level level, Evidence why) {
        cpu(flag, level, why, true);
    }

    /**
     * A CPU feature; {@code loaded} is false when the evidence is a file the entry point does not load, which
     * gives the feature but no slower path of what runs ({@link Cpu#notLoaded()}).
     */
    void cpu(String flag, Level level, Evidence why, boolean loaded) {
        cpu.merge(flag, level, Level::max);
        if (loaded) {
            usedByLoaded.add(flag);
        }
        add(why, loaded ? "" : ", not loaded");
    }

    /** Records that the entry point was followed, so features only unloaded files use can be told apart. */
    void followed(boolean followed) {
        this.followed = followed;
    }

    void hardware(String name, Level level, Evidence why) {
        boolean first = !hardware.containsKey(name);
        hardware.merge(name, level, Level::max);
        add(why);
        HardwareClass c = kb.hardware(name);
        if (first && c != null) {
            for (String pattern : c.patterns()) {
                add(new Evidence(Evidence.DEVICE_NODE, pattern, null, "hardware." + name, null, null, null, null,
                        null, "a pattern, not a path: pass each host node matching it as --device for " + name));
            }
        }
    }

    void volume(String path, Evidence why) {
        volumes.add(path);
        if (why != null) {
            add(why);
        }
    }

    void constraint(String hardwareName, Constraint c) {
        constraints.computeIfAbsent(hardwareName, k -> new ArrayList<>()).add(c);
    }

    void requireLevel(int level, Evidence why) {
        requiredLevel = Math.max(requiredLevel, level);
        add(why);
    }

    void evidence(Evidence why) {
        add(why);
    }

    void note(String note) {
        notes.add(note);
    }

    List<String> notes() {
        List<String> out = new ArrayList<>(notes);
        perRule.forEach((key, count) -> {
            if (count > EVIDENCE_PER_RULE) {
                out.add((count - EVIDENCE_PER_RULE) + " more matches of " + key + " not listed as evidence");
            }
        });
        out.sort(null);
        return out;
    }

    private void add(Evidence e) {
        add(e, "");
    }

    private void add(Evidence e, String group) {
        // the C runtime's entries (and those of files not loaded) are capped apart, so glibc's many
        // copies or a directory of test programs cannot crowd the evidence of what runs out
        String key = e.rule() + " (" + e.name()
                + (Evidence.RUNTIME_CPU_FEATURE.equals(e.kind()) ? ", C runtime" : group) + ")";
        int n = perRule.merge(key, 1, Integer::sum);
        if (n <= EVIDENCE_PER_RULE) {
            evidence.add(e);
        }
    }

    List<Evidence> evidence() {
        return evidence;
    }

    Platform platform(String architecture, String os, String variant, String unameArch, boolean x86) {
        String level = null;
        if (x86) {
            long mask = 0;
            for (Map.Entry<String, Level> e : cpu.entrySet()) {
                if (e.getValue() == Level.REQUIRED) {
                    for (X86Feature f : X86Feature.values()) {
                        if (f.flag().equals(e.getKey())) {
                            mask |= f.bit();
                        }
                    }
                }
            }
            level = "x86-64-v" + Math.max(requiredLevel, X86Feature.levelNeeded(mask));
        }
        List<String> notLoaded = new ArrayList<>();
        if (followed) {
            cpu.forEach((f, l) -> {
                if (l == Level.SUPPORTED && !usedByLoaded.contains(f)) {
                    notLoaded.add(f);
                }
            });
        }
        return new Platform(architecture, os, variant, new Cpu(unameArch, level, cpu, notLoaded), hardware);
    }

    List<Device> devices() {
        List<Device> out = new ArrayList<>();
        for (Map.Entry<String, Level> e : hardware.entrySet()) {
            HardwareClass c = kb.hardware(e.getKey());
            List<String> nodes = new ArrayList<>();
            if (c != null) {
                nodes.addAll(c.devices());
                nodes.addAll(c.patterns());
            }
            out.add(new Device(e.getKey(), e.getValue(), c == null ? List.of() : c.cdi(), nodes, c == null ? List.of() : c.needs(),
                    constraints.getOrDefault(e.getKey(), List.of())));
        }
        return out;
    }

    /** A device path the entry point's command line names: the program opens that node. */
    void commandDevice(String path) {
        commandDevices.add(path);
    }

    List<String> passthruDevices() {
        Set<String> out = new LinkedHashSet<>();
        for (String name : hardware.keySet()) {
            HardwareClass c = kb.hardware(name);
            if (c != null) {
                out.addAll(c.devices());
            }
        }
        for (String path : commandDevices) {
            if (out.stream().noneMatch(d -> path.equals(d) || path.startsWith(d + "/"))) {
                out.add(path); // -d /dev/video2: that node, beside the class's usual /dev/video0
            }
        }
        return List.copyOf(out);
    }

    List<String> volumes() {
        Set<String> out = new LinkedHashSet<>(volumes);
        for (String name : hardware.keySet()) {
            HardwareClass c = kb.hardware(name);
            if (c != null) {
                out.addAll(c.volumes());
            }
        }
        return List.copyOf(out);
    }
}
