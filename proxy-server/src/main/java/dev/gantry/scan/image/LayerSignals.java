package dev.gantry.scan.image;

import dev.gantry.scan.CpuFinding;
import dev.gantry.scan.DeviceEntry;
import dev.gantry.scan.FileFinding;
import dev.gantry.scan.LayerFindings;
import dev.gantry.scan.kb.Implication;
import dev.gantry.scan.kb.KnowledgeBase;
import dev.gantry.scan.kb.Rule;
import dev.gantry.schema.Evidence;
import dev.gantry.schema.Level;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Findings from what survives in the merged filesystem: knowledge-base
 * matches on files, CPU features of ELF files of the image's architecture,
 * device nodes, and the entrypoint's own dependencies (which can make a
 * device required).
 *
 * <p>CPU features of the C runtime's own files (the knowledge base's
 * {@code cpu.runtime}: glibc's IFUNC variants, libgcc_s's SVE unwinder path)
 * are the runtime's business: they become {@code runtime-cpu-feature}
 * evidence and never a required or supported feature of the image.
 */
final class LayerSignals {
    private final KnowledgeBase kb;
    private final DocumentBuilder out;
    private final Map<String, Rule> rulesById = new HashMap<>();
    private final Set<String> unknownRules = new HashSet<>();

    LayerSignals(KnowledgeBase kb, DocumentBuilder out) {
        this.kb = kb;
        this.out = out;
        for (Rule r : kb.rules()) {
            rulesById.put(r.id(), r);
        }
    }

    void apply(MergedFilesystem fs, List<LayerFindings> layers, String unameArch) {
        for (Map.Entry<String, MergedFilesystem.Node> e : fs.nodes().entrySet()) {
            String path = e.getKey();
            MergedFilesystem.Node node = e.getValue();
            String layer = layers.get(node.layer()).layer();
            boolean runtime = kb.isCRuntime(path);
            for (FileFinding f : node.findings()) {
                Rule r = rulesById.get(f.rule());
                if (r == null) {
                    unknownRules.add(f.rule());
                    continue;
                }
                if (runtime && !r.implies().cpu().isEmpty()) {
                    for (String c : r.implies().cpu()) {
                        runtimeCpu(c, r.implies().level(), r.id(), layer, path);
                    }
                    continue;
                }
                imply(r, r.implies().level(), layer, path, f.detail());
            }
            if (node.cpu() != null && node.cpu().arch().equals(unameArch)) {
                if (runtime) {
                    node.cpu().required().forEach(c -> runtimeCpu(c, Level.REQUIRED, "elf.instructions", layer, path));
                    node.cpu().supported().forEach(c -> runtimeCpu(c, Level.SUPPORTED, "elf.instructions", layer, path));
                } else {
                    cpu(node.cpu(), layer);
                }
            }
            if (node.device() != null) {
                device(node.device(), layer);
            }
        }
        for (String id : unknownRules) {
            out.note("layer findings name rule " + id + ", which the current knowledge base lacks: rescan");
        }
    }

    /** Upgrades the levels of the rules matched on the entrypoint file that say so (e.g. linked to libcuda). */
    void entrypoint(MergedFilesystem.Node node, String path, List<LayerFindings> layers) {
        String layer = layers.get(node.layer()).layer();
        for (FileFinding f : node.findings()) {
            Rule r = rulesById.get(f.rule());
            if (r != null && r.implies().entrypointLevel() != null) {
                imply(r, r.implies().entrypointLevel(), layer, path,
                        (f.detail() == null ? "" : f.detail() + "; ") + "the image's entrypoint");
            }
        }
    }

    private void imply(Rule r, Level level, String layer, String path, String detail) {
        Implication i = r.implies();
        if (i.hardware() != null) {
            out.hardware(i.hardware(), level, new Evidence(Evidence.HARDWARE, i.hardware(), level, r.id(), layer,
                    path, null, null, null, detail));
        }
        for (String f : i.cpu()) {
            out.cpu(f, level, new Evidence(Evidence.CPU_FEATURE, f, level, r.id(), layer, path, null, null, null,
                    detail));
        }
        for (String v : i.volumes()) {
            out.volume(v, new Evidence(Evidence.VOLUME, v, null, r.id(), layer, path, null, null, null, detail));
        }
    }

    /** A C-runtime file's feature: listed apart, with the level it would have given, never merged. */
    private void runtimeCpu(String feature, Level level, String rule, String layer, String path) {
        out.evidence(new Evidence(Evidence.RUNTIME_CPU_FEATURE, feature, level, rule, layer, path, null, null, null,
                "the C runtime's own " + (level == Level.REQUIRED ? "code path" : "run-time dispatch")
                        + "; not a CPU requirement of the image (knowledge base cpu.runtime)"));
    }

    private void cpu(CpuFinding c, String layer) {
        String source = c.levelSource() == null ? null : "elf." + c.levelSource();
        for (String f : c.required()) {
            Long at = c.firstUse().get(f);
            String rule = at != null ? "elf.instructions" : source != null ? source : "elf.instructions";
            String detail = at != null ? "no CPU dispatch found; first use at file offset 0x" + Long.toHexString(at)
                    : source != null ? "x86-64-v" + c.level() + " declared" : "no CPU dispatch found";
            out.cpu(f, Level.REQUIRED, new Evidence(Evidence.CPU_FEATURE, f, Level.REQUIRED, rule, layer, c.path(),
                    null, null, null, detail));
        }
        for (String f : c.supported()) {
            out.cpu(f, Level.SUPPORTED, new Evidence(Evidence.CPU_FEATURE, f, Level.SUPPORTED, "elf.instructions",
                    layer, c.path(), null, null, null, "behind run-time dispatch: " + c.dispatch()));
        }
        if (c.level() >= 2) {
            out.requireLevel(c.level(), new Evidence(Evidence.CPU_LEVEL, "x86-64-v" + c.level(), Level.REQUIRED,
                    source, layer, c.path(), null, null, null, null));
        }
    }

    private void device(DeviceEntry d, String layer) {
        String detail = d.major() >= 0 ? d.type() + " " + d.major() + ":" + d.minor() : d.type();
        out.evidence(new Evidence(Evidence.DEVICE_NODE, d.path(), null, "layer.device-node", layer, d.path(), null,
                null, null, detail));
        for (Rule r : kb.rules(Rule.Kind.DEVICE)) {
            if (r.matchesPath(d.path())) {
                imply(r, r.implies().level(), layer, d.path(), detail);
            }
        }
    }
}
