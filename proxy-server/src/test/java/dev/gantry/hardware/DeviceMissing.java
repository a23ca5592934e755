package dev.gantry.hardware;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * How the corpus's programs say that a device is missing, per hardware class: the messages the real
 * programs print when they exit because the device node they open is not there (the truth chroots
 * have no {@code /dev} at all, and this machine has no KVM, RDMA, TPM, DRM or video device). A run
 * that exits non-zero with one of them failed for that class's device; that is the truth
 * {@link ClassTruth} compares Gantry's required hardware classes with.
 */
final class DeviceMissing {
    /** Class name to the messages, each a program's own words (the program is named beside it). */
    private static final Map<String, Pattern> MESSAGES = Map.of(
            // qemu-system-*: "Could not access KVM kernel module: No such file or directory"; perror("/dev/kvm")
            "kvm", Pattern.compile("Could not access KVM kernel module|failed to initialize kvm"
                    + "|/dev/kvm: No such file or directory"),
            // rdma-core's ibv_devinfo/ibv_devices: no /sys/class/infiniband_verbs, or no device in it
            "rdma", Pattern.compile("Failed to get IB devices list|No IB devices found"),
            // tpm2-tss's device TCTI: "Failed to open specified TCTI device file /dev/tpmrm0: No such file..."
            "tpm", Pattern.compile("Failed to open specified TCTI device file /dev/tpm"),
            // libva-utils' vainfo --display drm --device PATH; perror() of a DRM node
            "gpu.dri", Pattern.compile("Failed to open the given device|/dev/dri/\\S+: No such file or directory"),
            // v4l-utils' v4l2-ctl
            "video4linux", Pattern.compile("Cannot open device /dev/video"));

    private DeviceMissing() {
    }

    /** The classes whose missing device a run with this exit status and output failed for. */
    static Set<String> classes(int exit, String output) {
        Set<String> out = new TreeSet<>();
        if (exit == 0) {
            return out;
        }
        MESSAGES.forEach((c, p) -> {
            if (p.matcher(output).find()) {
                out.add(c);
            }
        });
        return out;
    }
}
