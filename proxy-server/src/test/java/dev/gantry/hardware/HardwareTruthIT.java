package dev.gantry.hardware;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Truth by execution: each image of the {@link TruthCorpus} (compiled
 * programs and real Debian packages, amd64 and arm64) runs in a chroot of
 * its root file system under every QEMU CPU model of its architecture
 * ({@link CpuModel}: x86-64-v1, Nehalem, SandyBridge, Haswell; Cortex-A72,
 * max; then this machine's own CPU, natively, which on an AVX-512 host is
 * the only x86 model that runs AVX-512 code), and Gantry's {@code check} verdict for that model's CPU flags
 * (and no device) must say "will fail" exactly when the program failed: it trapped (SIGILL, or its
 * loader refused the CPU), or it exited for a device the chroot lacks ({@link DeviceMissing}). The matrix is written to
 * {@code target/hardware-truth.txt}; {@code bench/hardware-truth.sh} prints it.
 *
 * <p><b>Required CPU features, precision and recall.</b> The QEMU models of
 * an architecture are nested (each has every flag of the one below:
 * asserted; the native CPU needs only reach x86-64-v3, since a virtual
 * machine may hide a flag such as {@code rdtscp}),
 * so execution can only tell feature <em>groups</em> apart: what each model
 * adds to the one below it (Nehalem's SSE4/POPCNT step, SandyBridge's AVX/AES
 * step, Haswell's AVX2/BMI/FMA step; max's SVE/SHA3/LSE/dot-product step),
 * plus one group for features no model has. For an image whose lowest model
 * that runs it is M: the group M adds is truly required (it trapped on the
 * model below and ran on M), every group above M is truly not required (it
 * ran without them), and groups below M cannot be told apart by these models
 * and are not counted. Gantry predicts a group when the features its
 * document marks {@code required} (a level a file declares, by ISA note or
 * {@code GOAMD64}, makes all of its features required) include any feature
 * of the group. Precision and recall are over
 * the counted (image, group) pairs.
 *
 * <p><b>Required hardware classes.</b> The chroots have no {@code /dev} at all. An image needs a class
 * exactly when its entry point exited for that class's missing device ({@link DeviceMissing}: QEMU's
 * "Could not access KVM kernel module", tpm2-tss's "Failed to open ... /dev/tpmrm0", ...); that is
 * compared with the classes its document marks {@code required}, per class and overall
 * ({@link ClassTruth}). The device images ({@link DeviceImages}) come in pairs: the same packages with
 * an entry point that needs the device and one that does not.
 */
class HardwareTruthIT {
    @TempDir
    static Path work;
    static TruthMatrix matrix;

    @BeforeAll
    static void runTheMatrix() throws Exception {
        QemuChroot.requireUsable();
        matrix = TruthMatrix.build(work);
        Path report = Path.of("target", "hardware-truth.txt");
        Files.createDirectories(report.getParent());
        Files.writeString(report, matrix.render());
    }

    @Test
    void everyImageRunsOnTheMostCapableModelOfItsArchitecture() {
        for (TruthImage image : matrix.images) {
            List<CpuModel> models = matrix.models.get(image.arch());
            TruthMatrix.Cell top = matrix.cell(image, models.get(models.size() - 1));
            assertThat(top.run().outcome()).as(image.name() + " under " + top.model().label() + ": " + top.run().stderr())
                    .isEqualTo(Outcome.RAN);
        }
        assertThat(matrix.cells).noneMatch(c -> c.run().outcome() == Outcome.BROKEN);
    }

    @Test
    void theModelsAreNestedAndEachLowerOneTrapsSomeImage() {
        for (String arch : List.of("amd64", "arm64")) {
            List<CpuModel> models = matrix.models.get(arch);
            for (int i = 1; i < models.size(); i++) {
                if (!models.get(i).isNative()) {
                    assertThat(matrix.profiles.get(models.get(i).label()).cpuFlags())
                            .containsAll(matrix.profiles.get(models.get(i - 1).label()).cpuFlags());
                }
                CpuModel lower = models.get(i - 1);
                CpuModel upper = models.get(i);
                assertThat(matrix.cells).as("an image that traps on " + lower.label() + " but not on " + upper.label())
                        .anyMatch(c -> c.model().equals(lower) && c.run().outcome().trapped()
                                && matrix.cell(c.image(), upper).run().outcome() == Outcome.RAN);
            }
        }
    }

    @Test
    void noFalseRefusals() {
        assertThat(matrix.falseRefusals()).as(matrix.render()).isEmpty();
    }

    @Test
    void noFalsePasses() {
        assertThat(matrix.falsePasses()).as(matrix.render()).isEmpty();
    }

    @Test
    void requiredCpuFeaturesHavePrecisionAndRecallOfAtLeast97Percent() {
        TruthMatrix.Scores s = matrix.scores();
        assertThat(s.truePositives()).as("the corpus has images that need a feature").isGreaterThan(5);
        assertThat(s.precision()).as(String.join("\n", s.wrong())).isGreaterThanOrEqualTo(0.97);
        assertThat(s.recall()).as(String.join("\n", s.wrong())).isGreaterThanOrEqualTo(0.97);
    }

    @Test
    void everyImageFailsWithoutDevicesExactlyForTheClassesItWasBuiltToNeed() {
        ClassTruth truth = new ClassTruth(matrix);
        for (TruthImage image : matrix.images) {
            List<CpuModel> models = matrix.models.get(image.arch());
            QemuChroot.Run run = matrix.cell(image, models.get(models.size() - 1)).run();
            assertThat(truth.needed(image)).as(image.name() + " (exit " + run.exit() + "): " + run.stderr())
                    .isEqualTo(image.classes());
        }
    }

    @Test
    void requiredHardwareClassesMatchWhatFailedWithoutTheDevicePerClassAndOverall() {
        ClassTruth truth = new ClassTruth(matrix);
        TruthMatrix.Scores all = truth.scores();
        assertThat(all.truePositives()).as("images whose entry point needs a device").isGreaterThanOrEqualTo(6);
        assertThat(truth.perClass().values().stream().filter(s -> s.truePositives() > 0).count())
                .as("classes with a positive").isGreaterThanOrEqualTo(3);
        assertThat(all.wrong()).as(truth.render()).isEmpty();
        assertThat(all.precision()).isGreaterThanOrEqualTo(0.97);
        assertThat(all.recall()).isGreaterThanOrEqualTo(0.97);
        truth.perClass().forEach((c, s) -> {
            assertThat(s.precision()).as(c).isGreaterThanOrEqualTo(0.97);
            assertThat(s.recall()).as(c).isGreaterThanOrEqualTo(0.97);
        });
    }

    @Test
    void aPlainO2ProgramLinkedOnlyToGlibcRunsNotDegradedOnEveryModel() {
        List<TruthMatrix.Cell> plain = matrix.cells.stream().filter(c -> c.image().name().endsWith("/plain-O2")).toList();
        assertThat(plain).hasSize(matrix.models.values().stream().mapToInt(List::size).sum());
        assertThat(plain).allSatisfy(c -> {
            assertThat(c.run().outcome()).isEqualTo(Outcome.RAN);
            assertThat(c.verdict().verdict()).as(c.model().label() + ": " + c.verdict().reasons()).isEqualTo(Verdict.RUNS);
        });
    }
}
