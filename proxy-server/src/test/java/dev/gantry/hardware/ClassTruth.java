package dev.gantry.hardware;

import dev.gantry.schema.Level;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Required hardware classes against execution. Every image ran in a chroot with no device at all; the
 * classes it truly requires are those whose missing device its entry point exited for
 * ({@link DeviceMissing}), under the most capable model of its architecture (the one every image must
 * run on). Gantry predicts the classes its document marks {@code required}. Counted per (image, class)
 * pair, per class and overall; an image that ran fine with a class its document merely supports is a
 * true negative for that class.
 */
final class ClassTruth {
    private final TruthMatrix matrix;

    ClassTruth(TruthMatrix matrix) {
        this.matrix = matrix;
    }

    /** The classes whose missing device the image's entry point failed for. */
    Set<String> needed(TruthImage image) {
        List<CpuModel> models = matrix.models.get(image.arch());
        return matrix.cell(image, models.get(models.size() - 1)).run().missingDevices();
    }

    /** The classes the image's document marks at {@code level}. */
    Set<String> predicted(TruthImage image, Level level) {
        Set<String> out = new TreeSet<>();
        matrix.documents.get(image.name()).platform().hardware().forEach((c, l) -> {
            if (l == level) {
                out.add(c);
            }
        });
        return out;
    }

    /** Overall scores, over every (image, class) pair. */
    TruthMatrix.Scores scores() {
        return scores(null);
    }

    /** Scores of one class, or of all when {@code only} is null. */
    TruthMatrix.Scores scores(String only) {
        int tp = 0;
        int fp = 0;
        int fn = 0;
        List<String> wrong = new ArrayList<>();
        for (TruthImage image : matrix.images) {
            Set<String> needed = needed(image);
            Set<String> required = predicted(image, Level.REQUIRED);
            for (String c : required) {
                if (only != null && !only.equals(c)) {
                    continue;
                }
                if (needed.contains(c)) {
                    tp++;
                } else {
                    fp++;
                    wrong.add("hardware class required but the entry point ran without its device: " + image.name() + " " + c);
                }
            }
            for (String c : needed) {
                if ((only == null || only.equals(c)) && !required.contains(c)) {
                    fn++;
                    wrong.add("hardware class needed (the entry point failed without its device) but not required: "
                            + image.name() + " " + c);
                }
            }
        }
        return new TruthMatrix.Scores(tp, fp, fn, wrong);
    }

    /** Scores per class that some image needs or some document requires. */
    Map<String, TruthMatrix.Scores> perClass() {
        Set<String> classes = new TreeSet<>();
        for (TruthImage image : matrix.images) {
            classes.addAll(needed(image));
            classes.addAll(predicted(image, Level.REQUIRED));
        }
        Map<String, TruthMatrix.Scores> out = new TreeMap<>();
        classes.forEach(c -> out.put(c, scores(c)));
        return out;
    }

    /** The hardware-class rows (images with any class, by execution or in their document) and the counts. */
    String render() {
        StringBuilder sb = new StringBuilder("\nHardware classes: each image run with no device; truth is the device its"
                + " entry point exited for\n");
        sb.append(String.format("%-26s %-30s %-22s %s%n", "image", "run without devices", "Gantry required",
                "supported"));
        for (TruthImage image : matrix.images) {
            Set<String> needed = needed(image);
            Set<String> required = predicted(image, Level.REQUIRED);
            Set<String> supported = predicted(image, Level.SUPPORTED);
            if (needed.isEmpty() && required.isEmpty() && supported.isEmpty() && !pairedWithADeviceImage(image)) {
                continue;
            }
            String run = needed.isEmpty() ? "ran fine (exit " + exit(image) + ")" : "device missing: " + String.join(",", needed);
            String mark = needed.equals(required) ? "" : "  MISMATCH";
            sb.append(String.format("%-26s %-30s %-22s %s%s%n", image.name(), run,
                    required.isEmpty() ? "-" : String.join(",", required),
                    supported.isEmpty() ? "-" : String.join(",", supported), mark));
        }
        TruthMatrix.Scores all = scores();
        all.wrong().forEach(w -> sb.append(w).append('\n'));
        perClass().forEach((c, s) -> sb.append(String.format("  %-12s precision %.3f, recall %.3f (TP %d, FP %d, FN %d)%n",
                c, s.precision(), s.recall(), s.truePositives(), s.falsePositives(), s.falseNegatives())));
        long needing = matrix.images.stream().filter(i -> !needed(i).isEmpty()).count();
        long built = matrix.images.stream().filter(i -> !i.classes().isEmpty()).count();
        sb.append(String.format("required hardware classes: precision %.3f, recall %.3f (TP %d, FP %d, FN %d; %d of %d"
                        + " images failed for a missing device, %d were built to)%n", all.precision(), all.recall(),
                all.truePositives(), all.falsePositives(), all.falseNegatives(), needing, matrix.images.size(), built));
        return sb.toString();
    }

    /**
     * Whether the image is a negative beside a device image: it shares a layer with one, other than the C
     * runtime's (the layers of the architecture's plain program, which every C image has).
     */
    private boolean pairedWithADeviceImage(TruthImage image) {
        Set<Path> runtime = matrix.images.stream()
                .filter(i -> i.arch().equals(image.arch()) && i.name().endsWith("/plain-O2"))
                .flatMap(i -> i.layers().stream()).collect(Collectors.toSet());
        for (TruthImage other : matrix.images) {
            if (other != image && other.arch().equals(image.arch()) && !needed(other).isEmpty()
                    && other.layers().stream().anyMatch(l -> !runtime.contains(l) && image.layers().contains(l))) {
                return true;
            }
        }
        return false;
    }

    private int exit(TruthImage image) {
        List<CpuModel> models = matrix.models.get(image.arch());
        return matrix.cell(image, models.get(models.size() - 1)).run().exit();
    }
}
