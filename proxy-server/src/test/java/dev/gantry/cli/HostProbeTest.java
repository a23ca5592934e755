package dev.gantry.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The host probe against a recorded root: what it finds under /dev and in the CDI specs, and what it will not guess. */
class HostProbeTest {

    @TempDir
    Path root;

    private void file(String path, String content) throws Exception {
        Path p = root.resolve(path);
        Files.createDirectories(p.getParent());
        Files.writeString(p, content);
    }

    @Test
    void usbNodesFourLevelsDownAreFoundAndPtsShmAndMqueueAreNotWalked() throws Exception {
        file("proc/cpuinfo", "flags\t\t: fpu sse4_2 avx2\n");
        file("dev/bus/usb/001/002", "");
        file("dev/kvm", "");
        file("dev/shm/app/segment", "");
        file("dev/pts/0", "");
        file("dev/mqueue/q", "");

        assertThat(new HostProbe(root).probe().devices()).containsExactlyInAnyOrder("/dev/bus/usb/001/002", "/dev/kvm");
    }

    @Test
    void aDirectoryUnderDevThatCannotBeReadHidesOnlyItself() throws Exception {
        file("proc/cpuinfo", "flags\t\t: fpu\n");
        file("dev/aaa-private/x", "");
        file("dev/nvidia0", "");
        file("dev/nvidiactl", "");
        Path locked = root.resolve("dev/aaa-private");
        Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("---------"));
        try {
            // Read in the order the directory lists: an unreadable directory first once ended the walk there.
            assertThat(new HostProbe(root).probe().devices()).contains("/dev/nvidia0", "/dev/nvidiactl");
        } finally {
            Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("rwx------"));
        }
    }

    @Test
    void aCdiSpecThatCannotBeReadHidesOnlyItself() throws Exception {
        file("proc/cpuinfo", "flags\t\t: fpu\n");
        file("etc/cdi/a-broken.yaml", "kind: [unclosed\n");
        file("etc/cdi/nvidia.yaml", "cdiVersion: 0.5.0\nkind: nvidia.com/gpu\ndevices:\n  - name: all\n  - name: \"0\"\n");

        assertThat(new HostProbe(root).probe().cdiDevices()).containsExactlyInAnyOrder("nvidia.com/gpu=all", "nvidia.com/gpu=0");
    }

    @Test
    void withoutReadableCpuFeaturesThereIsNoProfileRatherThanOneThatLacksEverything() throws Exception {
        file("dev/kvm", "");
        assertThatThrownBy(() -> new HostProbe(root).probe()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("cannot read this host's CPU features").hasMessageContaining("--profile");
    }

    @Test
    void arm64FeaturesAreReadLikeX86Flags() throws Exception {
        file("proc/cpuinfo", "processor\t: 0\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics\n");
        assertThat(new HostProbe(root).probe().cpuFlags()).contains("asimd", "atomics", "sha2").doesNotContain("");
    }
}
