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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Findings from what survives in the merged filesystem: knowledge-base
 * matches on files, CPU features of ELF files of the image's architecture and
 * device nodes, each weighed by what the entry point loads
 * ({@link EntryClosure}).
 *
 * <p>Only code the entry point loads decides: unguarded instructions and ISA
 * notes of a file it loads are required; those of a file it does not load (a
 * test program, a plugin, another package's library) are at most supported,
 * with evidence saying so, and do not count as a slower path of what runs. A
 * rule's {@code closure} level applies when the file is loaded, its
 * {@code entrypoint} level when the file is a program the command line runs.
 * When the entry point could not be followed, every file counts as loaded.
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

    void apply(MergedFilesystem fs, List<LayerFindings> layers, String unameArch, EntryClosure closure) {
        for (Map.Entry<String, MergedFilesystem.Node> e : fs.nodes().entrySet()) {
            String path = e.getKey();
            MergedFilesystem.Node node = e.getValue();
            String layer = layers.get(node.layer()).layer();
            boolean runtime = kb.isCRuntime(path);
            EntryClosure.Scope scope = closure.scope(path);
            boolean loaded = scope != EntryClosure.Scope.NOT_LOADED;
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
                Implication i = r.implies();
                Level level = i.level();
                String detail = f.detail();
                if (scope == EntryClosure.Scope.RUNS && i.entrypointLevel() != null) {
                    level = Level.max(level, i.entrypointLevel());
                    detail = join(detail, "the image's entrypoint");
                }
                if ((scope == EntryClosure.Scope.RUNS || scope == EntryClosure.Scope.LOADED)
                        && i.closureLevel() != null) {
                    level = Level.max(level, i.closureLevel());
                    detail = join(detail, "loaded by the image's entrypoint (" + closure.entry() + ")");
                }
                imply(r, level, layer, path, detail, loaded);
            }
            if (node.cpu() != null && node.cpu().arch().equals(unameArch)) {
                if (runtime) {
                    node.cpu().required().forEach(c -> runtimeCpu(c, Level.REQUIRED, "elf.instructions", layer, path));
                    node.cpu().supported().forEach(c -> runtimeCpu(c, Level.SUPPORTED, "elf.instructions", layer, path));
                } else if (scope == EntryClosure.Scope.NOT_LOADED) {
                    optionalCpu(node.cpu(), layer, "not loaded by the entry point (" + closure.entry() + ")", false);
                } else if (scope == EntryClosure.Scope.HWCAPS_VARIANT) {
                    optionalCpu(node.cpu(), layer, "a glibc-hwcaps copy of a library the entry point loads: the "
                            + "loader maps it only on a CPU that has these", true);
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

    private static String join(String detail, String more) {
        return detail == null ? more : detail + "; " + more;
    }

    private void imply(Rule r, Level level, String layer, String path, String detail, boolean loaded) {
        Implication i = r.implies();
        if (i.hardware() != null) {
            out.hardware(i.hardware(), level, new Evidence(Evidence.HARDWARE, i.hardware(), level, r.id(), layer,
                    path, null, null, null, detail));
        }
        for (String f : i.cpu()) {
            out.cpu(f, level, new Evidence(Evidence.CPU_FEATURE, f, level, r.id(), layer, path, null, null, null,
                    detail), loaded);
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

    /**
     * The features of a file whose code the entry point does not take unconditionally: every one (its
     * required ones and its ISA note's level included) is at most supported; {@code loaded} says whether
     * code that runs may take it (a hwcaps copy) or not (a file not loaded at all).
     */
    private void optionalCpu(CpuFinding c, String layer, String why, boolean loaded) {
        Set<String> features = new LinkedHashSet<>(c.required());
        features.addAll(c.supported());
        for (String f : features) {
            String how = c.supported().contains(f) ? "behind run-time dispatch: " + c.dispatch()
                    : c.levelSource() != null && !c.firstUse().containsKey(f) ? "x86-64-v" + c.level() + " declared"
                    : "used without CPU dispatch";
            out.cpu(f, Level.SUPPORTED, new Evidence(Evidence.CPU_FEATURE, f, Level.SUPPORTED, "elf.instructions",
                    layer, c.path(), null, null, null, why + "; " + how), loaded);
        }
    }

    private void device(DeviceEntry d, String layer) {
        String detail = d.major() >= 0 ? d.type() + " " + d.major() + ":" + d.minor() : d.type();
        out.evidence(new Evidence(Evidence.DEVICE_NODE, d.path(), null, "layer.device-node", layer, d.path(), null,
                null, null, detail));
        for (Rule r : kb.rules(Rule.Kind.DEVICE)) {
            if (r.matchesPath(d.path())) {
                imply(r, r.implies().level(), layer, d.path(), detail, true);
            }
        }
    }
}
