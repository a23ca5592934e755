package dev.gantry.hardware;

import dev.gantry.oci.Digest;
import dev.gantry.scan.ImageAnalyzer;
import dev.gantry.scan.ImagePlatform;
import dev.gantry.scan.LayerBuilder;
import dev.gantry.scan.LayerFindings;
import dev.gantry.scan.LayerScanner;
import dev.gantry.scan.ScanLimits;
import dev.gantry.scan.kb.KnowledgeBase;
import dev.gantry.schema.Evidence;
import dev.gantry.schema.HardwareDocument;
import dev.gantry.schema.Level;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The truth matrix: every image of the {@link TruthCorpus} run under every
 * {@link CpuModel} of its architecture, beside Gantry's verdict for that
 * model's host profile (the image's layers scanned, the document built by
 * {@link ImageAnalyzer}, judged by {@link Checker}). Also the per-image
 * feature groups behind {@link #scores()}.
 */
final class TruthMatrix {
    /** One image under one model. */
    record Cell(TruthImage image, CpuModel model, QemuChroot.Run run, Verdict verdict) {
        boolean saysWillFail() {
            return verdict.verdict().equals(Verdict.WILL_FAIL);
        }

        /** Whether the program failed on this host: it trapped, or exited for want of a device. */
        boolean failed() {
            return run.outcome().trapped() || !run.missingDevices().isEmpty();
        }

        boolean falseRefusal() {
            return saysWillFail() && !failed();
        }

        boolean falsePass() {
            return !saysWillFail() && failed();
        }
    }

    /** Precision and recall, counted as described on {@link HardwareTruthIT} and {@link ClassTruth}. */
    record Scores(int truePositives, int falsePositives, int falseNegatives, List<String> wrong) {
        double precision() {
            return truePositives + falsePositives == 0 ? 1.0 : truePositives / (double) (truePositives + falsePositives);
        }

        double recall() {
            return truePositives + falseNegatives == 0 ? 1.0 : truePositives / (double) (truePositives + falseNegatives);
        }
    }

    final List<TruthImage> images;
    final Map<String, List<CpuModel>> models;
    final Map<String, HostProfile> profiles;
    final Map<String, HardwareDocument> documents;
    final List<Cell> cells;

    private TruthMatrix(List<TruthImage> images, Map<String, List<CpuModel>> models, Map<String, HostProfile> profiles,
                        Map<String, HardwareDocument> documents, List<Cell> cells) {
        this.images = images;
        this.models = models;
        this.profiles = profiles;
        this.documents = documents;
        this.cells = cells;
    }

    static TruthMatrix build(Path work) throws IOException, InterruptedException {
        Map<String, HostProfile> profiles = new LinkedHashMap<>();
        Map<String, List<CpuModel>> models = new LinkedHashMap<>();
        for (String arch : List.of("amd64", "arm64")) {
            Path probe = CpuModel.probe(arch, Files.createDirectories(work.resolve("probe")));
            List<CpuModel> list = new ArrayList<>(CpuModel.of(arch));
            for (CpuModel m : list) {
                profiles.put(m.label(), m.profile(probe));
            }
            CpuModel host = CpuModel.host();
            if (host.arch().equals(arch)) {
                // the most capable model only if it is one: a host older than the last QEMU model is left
                // out. (A virtual machine's CPUID may hide a flag such as rdtscp that QEMU's Haswell has.)
                HostProfile native_ = host.profile(probe);
                if (arch.equals("amd64") ? native_.x86Level() >= 3
                        : native_.cpuFlags().containsAll(profiles.get(list.get(list.size() - 1).label()).cpuFlags())) {
                    profiles.put(host.label(), native_);
                    list.add(host);
                }
            }
            models.put(arch, List.copyOf(list));
        }
        HostProfile native_ = profiles.get(CpuModel.host().label());
        boolean avx512 = native_ != null && native_.cpuFlags().contains("avx512f");
        List<TruthImage> images = new TruthCorpus(work, avx512).build();
        KnowledgeBase kb = KnowledgeBase.embedded();
        LayerScanner scanner = new LayerScanner(kb, ScanLimits.defaults());
        ImageAnalyzer analyzer = new ImageAnalyzer(kb, Clock.systemUTC());
        Map<Path, LayerFindings> scanned = new HashMap<>();
        Map<String, HardwareDocument> documents = new LinkedHashMap<>();
        List<Cell> cells = new ArrayList<>();
        for (TruthImage image : images) {
            List<LayerFindings> findings = new ArrayList<>();
            for (Path layer : image.layers()) {
                findings.add(scanned.computeIfAbsent(layer, l -> {
                    byte[] blob = new LayerBuilder().tree(l, "").gzip();
                    return scanner.scan(Digest.sha256(blob), null, new ByteArrayInputStream(blob));
                }));
            }
            HardwareDocument doc = analyzer.analyze(null, new ImagePlatform("linux", image.arch(),
                    image.arch().equals("arm64") ? "v8" : null), image.config().getBytes(StandardCharsets.UTF_8), findings);
            documents.put(image.name(), doc);
            Path root = QemuChroot.rootfs(image, work.resolve("rootfs"));
            for (CpuModel model : models.get(image.arch())) {
                Verdict v = Checker.check(image.name(), List.of(new HardwareService.PlatformDocument(null, doc, false)),
                        profiles.get(model.label()));
                cells.add(new Cell(image, model, QemuChroot.run(image, root, model), v));
            }
        }
        return new TruthMatrix(images, models, profiles, documents, cells);
    }

    List<Cell> falseRefusals() {
        return cells.stream().filter(Cell::falseRefusal).toList();
    }

    List<Cell> falsePasses() {
        return cells.stream().filter(Cell::falsePass).toList();
    }

    /**
     * The CPU features Gantry's document marks {@code required}. A level a file declares (ISA note,
     * GOAMD64) is among them as its features; the document's {@code level} itself is not counted (it
     * summarises the features: x86-64-v2 for code that needs AVX but not AVX2).
     */
    Set<String> required(TruthImage image) {
        Set<String> out = new TreeSet<>();
        documents.get(image.name()).platform().cpu().features().forEach((f, lvl) -> {
            if (lvl == Level.REQUIRED) {
                out.add(f);
            }
        });
        return out;
    }

    /**
     * The feature groups of an architecture: what each model adds to the one below it, then every other
     * feature name (which no model has) as the last group.
     */
    List<Set<String>> groups(String arch) {
        List<Set<String>> groups = new ArrayList<>();
        List<CpuModel> models = this.models.get(arch);
        for (int i = 1; i < models.size(); i++) {
            Set<String> added = new TreeSet<>(profiles.get(models.get(i).label()).cpuFlags());
            added.removeAll(profiles.get(models.get(i - 1).label()).cpuFlags());
            groups.add(added);
        }
        return groups;
    }

    Scores scores() {
        int tp = 0;
        int fp = 0;
        int fn = 0;
        List<String> wrong = new ArrayList<>();
        for (TruthImage image : images) {
            List<CpuModel> models = this.models.get(image.arch());
            int lowestRan = -1;
            for (int i = 0; i < models.size() && lowestRan < 0; i++) {
                if (cell(image, models.get(i)).run().outcome() == Outcome.RAN) {
                    lowestRan = i;
                }
            }
            if (lowestRan < 0) {
                continue; // ran nowhere: no truth (HardwareTruthIT fails on it separately)
            }
            Set<String> required = required(image);
            List<Set<String>> groups = groups(image.arch());
            Set<String> top = profiles.get(models.get(models.size() - 1).label()).cpuFlags();
            Set<String> beyond = new TreeSet<>(required);
            beyond.removeAll(top);
            for (int g = 0; g <= groups.size(); g++) {
                // group g is what model g+1 adds; the last is "beyond every model"
                boolean predicted = g < groups.size() ? groups.get(g).stream().anyMatch(required::contains) : !beyond.isEmpty();
                int model = g + 1;
                Boolean truth = model == lowestRan ? Boolean.TRUE : model > lowestRan ? Boolean.FALSE : null;
                if (truth == null) {
                    continue;
                }
                String what = image.name() + " " + (g < groups.size() ? models.get(model).label() + "'s " + groups.get(g)
                        : "features no model has " + beyond);
                if (predicted && truth) {
                    tp++;
                } else if (predicted) {
                    fp++;
                    wrong.add("required but not needed: " + what);
                } else if (truth) {
                    fn++;
                    wrong.add("needed but not required: " + what);
                }
            }
        }
        return new Scores(tp, fp, fn, wrong);
    }

    /** The hardware classes of an image's document with their levels, for the matrix. */
    private String classes(TruthImage image) {
        Map<String, Level> hw = documents.get(image.name()).platform().hardware();
        return hw.isEmpty() ? "" : " hardware " + hw.toString().toLowerCase();
    }

    Cell cell(TruthImage image, CpuModel model) {
        return cells.stream().filter(c -> c.image() == image && c.model().equals(model)).findFirst().orElseThrow();
    }

    /** The files whose required features the cell's host lacks: why Gantry refused it. */
    private String requiredBy(Cell c) {
        Set<String> host = profiles.get(c.model().label()).cpuFlags();
        Map<String, Set<String>> byPath = new LinkedHashMap<>();
        documents.get(c.image().name()).evidence().stream()
                .filter(e -> e.level() == Level.REQUIRED && e.kind().equals(Evidence.CPU_FEATURE) && !host.contains(e.name()))
                .forEach(e -> byPath.computeIfAbsent(e.path() + " (" + e.rule() + ")", p -> new TreeSet<>()).add(e.name()));
        StringBuilder sb = new StringBuilder();
        byPath.forEach((path, features) -> sb.append("    required: ").append(features).append(" in ").append(path).append('\n'));
        return sb.toString();
    }

    /** Where the image's supported features come from: one line per file. */
    private String supportedBy(TruthImage image) {
        Map<String, Set<String>> byPath = new LinkedHashMap<>();
        documents.get(image.name()).evidence().stream()
                .filter(e -> e.level() == Level.SUPPORTED && e.kind().equals(Evidence.CPU_FEATURE))
                .forEach(e -> byPath.computeIfAbsent(e.path(), p -> new TreeSet<>()).add(e.name()));
        StringBuilder sb = new StringBuilder();
        byPath.forEach((path, features) -> sb.append("    supported: ").append(features).append(" in ").append(path).append('\n'));
        return sb.toString();
    }

    /** The matrix as text: one row per image, one column per model, then mismatches and counts. */
    String render() {
        StringBuilder sb = new StringBuilder();
        for (String arch : List.of("amd64", "arm64")) {
            List<CpuModel> models = this.models.get(arch);
            sb.append(String.format("%-26s", arch));
            models.forEach(m -> sb.append(String.format(" %-22s", m.label())));
            sb.append("  Gantry: level, required features\n");
            for (TruthImage image : images) {
                if (!image.arch().equals(arch)) {
                    continue;
                }
                sb.append(String.format("%-26s", image.name()));
                for (CpuModel m : models) {
                    Cell c = cell(image, m);
                    String mark = c.falseRefusal() ? "FALSE-REFUSAL" : c.falsePass() ? "FALSE-PASS" : "";
                    String ran = c.run().missingDevices().isEmpty() ? c.run().outcome().name().toLowerCase() : "nodevice";
                    sb.append(String.format(" %-22s", ran + "/"
                            + c.verdict().verdict() + (mark.isEmpty() ? "" : " " + mark)));
                }
                String level = documents.get(image.name()).platform().cpu().level();
                sb.append("  ").append(level == null ? "" : level + " ").append(required(image)).append(classes(image))
                        .append('\n');
            }
            sb.append('\n');
        }
        sb.append("Cells show what happened under QEMU (nodevice: it exited for a device the chroot lacks) / Gantry's"
                + " verdict for that model's CPU flags and no device.\n\n");
        for (Cell c : cells) {
            if (c.falseRefusal() || c.falsePass()) {
                sb.append(c.falseRefusal() ? "false refusal: " : "false pass: ").append(c.image().name()).append(" on ")
                        .append(c.model().label()).append(": ran ").append(c.run().outcome()).append(" (exit ")
                        .append(c.run().exit()).append("), Gantry ").append(c.verdict().verdict()).append('\n');
                c.verdict().reasons().stream().filter(r -> !r.severity().equals("info"))
                        .forEach(r -> sb.append("    ").append(r.severity()).append(": ").append(r.message()).append('\n'));
                if (c.falseRefusal()) {
                    sb.append(requiredBy(c));
                }
            }
        }
        for (TruthImage image : images) {
            cells.stream().filter(c -> c.image() == image && c.verdict().verdict().equals(Verdict.DEGRADED)).findFirst()
                    .ifPresent(c -> c.verdict().reasons().stream().filter(r -> r.severity().equals("degraded"))
                            .forEach(r -> sb.append("degraded: ").append(image.name()).append(" on ")
                                    .append(c.model().label()).append(": ").append(r.message()).append('\n')
                                    .append(supportedBy(image))));
        }
        Scores s = scores();
        s.wrong().forEach(w -> sb.append(w).append('\n'));
        long trapped = cells.stream().filter(c -> c.run().outcome().trapped()).count();
        long degraded = cells.stream().filter(c -> c.verdict().verdict().equals(Verdict.DEGRADED)).count();
        sb.append(String.format("%nimages %d, cells %d: ran %d, trapped %d (SIGILL %d, refused %d), broken %d%n",
                images.size(), cells.size(), cells.stream().filter(c -> c.run().outcome() == Outcome.RAN).count(), trapped,
                cells.stream().filter(c -> c.run().outcome() == Outcome.SIGILL).count(),
                cells.stream().filter(c -> c.run().outcome() == Outcome.REFUSED).count(),
                cells.stream().filter(c -> c.run().outcome() == Outcome.BROKEN).count()));
        sb.append(String.format("false refusals %d, false passes %d, runs-degraded verdicts %d%n",
                falseRefusals().size(), falsePasses().size(), degraded));
        sb.append(String.format("required features: precision %.3f, recall %.3f (TP %d, FP %d, FN %d)%n",
                s.precision(), s.recall(), s.truePositives(), s.falsePositives(), s.falseNegatives()));
        sb.append(new ClassTruth(this).render());
        return sb.toString();
    }
}
