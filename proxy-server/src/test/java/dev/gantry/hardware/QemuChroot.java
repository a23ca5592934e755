package dev.gantry.hardware;

import dev.gantry.scan.TestTools;
import dev.gantry.testing.Tools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Runs an image's entry point as a given CPU would: the image's root file
 * system (its layers copied in order) with the static QEMU user-mode
 * emulator copied in, entered with {@code chroot} inside a private mount
 * namespace ({@code unshare -m}, with its own {@code /proc}). Inside the
 * chroot the program loads the image's own dynamic linker and libraries,
 * never the host's ({@code qemu -L} would fall back to the host's for any
 * path the image lacks). Needs root for chroot and mount namespaces.
 */
final class QemuChroot {
    private static final String EMULATOR = "/.gantry-qemu";
    private static final String ENTER = "ulimit -c 0; mkdir -p \"$0/proc\" \"$0/tmp\""
            + " && mount -t proc proc \"$0/proc\" && exec chroot \"$0\" \"$@\"";

    private QemuChroot() {
    }

    /** Skips (or fails under CI) where the emulators, chroot or a private mount namespace are unavailable. */
    static void requireUsable() {
        TestTools.require("unshare", "chroot", "qemu-x86_64-static", "qemu-aarch64-static");
        Tools.requireRoot();
    }

    /** The image's root file system under {@code dir}: its layers in order, then the emulator. */
    static Path rootfs(TruthImage image, Path dir) throws IOException, InterruptedException {
        Path root = Files.createDirectories(dir.resolve(image.name()));
        for (Path layer : image.layers()) {
            TestTools.run(null, "cp", "-a", layer + "/.", root + "/");
        }
        Files.copy(CpuModel.emulator(image.arch()), root.resolve(EMULATOR.substring(1)), StandardCopyOption.REPLACE_EXISTING);
        return root;
    }

    /** Runs the image's entry point in {@code root} under {@code model} (without QEMU for the native model). */
    static Run run(TruthImage image, Path root, CpuModel model) {
        List<String> cmd = new ArrayList<>(List.of("unshare", "-m", "--", "sh", "-c", ENTER, root.toString()));
        if (!model.isNative()) {
            cmd.addAll(List.of(EMULATOR, "-cpu", model.qemu()));
        }
        cmd.addAll(image.entrypoint());
        Tools.Result r = Tools.run(cmd, Duration.ofSeconds(120));
        String stderr = r.stderr().lines().filter(l -> !l.contains("TCG doesn't support requested feature"))
                .reduce("", (a, b) -> a + b + "\n");
        return new Run(Outcome.of(r.exit(), r.stdout(), stderr), r.exit(), stderr.strip(),
                DeviceMissing.classes(r.exit(), r.stdout() + "\n" + stderr));
    }

    /**
     * One execution: its outcome, exit status, what it said on stderr (QEMU's warnings left out), and the
     * hardware classes whose missing device it exited for ({@link DeviceMissing}; the chroot has no
     * {@code /dev} at all).
     */
    record Run(Outcome outcome, int exit, String stderr, Set<String> missingDevices) {
    }
}
