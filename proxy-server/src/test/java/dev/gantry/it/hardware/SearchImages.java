package dev.gantry.it.hardware;

import dev.gantry.scan.DebianPackages;
import dev.gantry.scan.LayerBuilder;
import dev.gantry.scan.Programs;
import dev.gantry.testing.TestImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Real images for the hardware search: programs compiled here (their
 * instructions are real compiler output, each the image's entry point) and a
 * Debian package, so what the scanner says about them is what it says about
 * real software. The search tests never assume what it says: they read each
 * image's document and compute the expected results from it.
 */
final class SearchImages {

    private SearchImages() {
    }

    /** An image whose entry point is {@code program}, built with {@code flags} by {@code compiler}. */
    static TestImage program(Path tmp, String name, String compiler, String arch, long seed, String... flags) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("programs-" + name));
        Path p = Programs.compile(dir, name, Programs.VECTOR_LOOP, compiler, flags);
        byte[] layer = new LayerBuilder().file("app/" + name, Files.readAllBytes(p), 0755).gzip();
        return TestImage.builder().seed(seed).platform("linux", arch).rawLayer(layer)
                .config("Entrypoint", List.of("/app/" + name)).config("Cmd", List.of()).build();
    }

    /** A program that needs an NVIDIA GPU: the CUDA runtime and {@code NVIDIA_REQUIRE_CUDA}. */
    static TestImage cuda(Path tmp, String name, long seed, String... flags) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("programs-" + name));
        Path p = Programs.compile(dir, name, Programs.VECTOR_LOOP, "gcc", flags);
        byte[] cudart = new byte[4000];
        new Random(seed).nextBytes(cudart);
        byte[] layer = new LayerBuilder().file("app/" + name, Files.readAllBytes(p), 0755)
                .file("usr/local/cuda/lib64/libcudart.so.12", cudart, 0755).gzip();
        return TestImage.builder().seed(seed).rawLayer(layer)
                .env(List.of("PATH=/usr/bin:/bin", "NVIDIA_REQUIRE_CUDA=cuda>=12.2", "NVIDIA_VISIBLE_DEVICES=all"))
                .config("Entrypoint", List.of("/app/" + name)).config("Cmd", List.of())
                .config("Volumes", Map.of("/data", Map.of())).build();
    }

    /** A Debian package's files as one layer (amd64). */
    static TestImage debian(Path tmp, String pkg, long seed) throws Exception {
        Path root = DebianPackages.unpack(pkg, Files.createDirectories(tmp.resolve("debs")));
        return TestImage.builder().seed(seed).rawLayer(new LayerBuilder().tree(root, "").gzip()).build();
    }

    /** A program next to QEMU's system emulator binary name: it can use KVM. */
    static TestImage kvm(Path tmp, String name, long seed) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("programs-" + name));
        Path p = Programs.compile(dir, name, Programs.VECTOR_LOOP, "gcc");
        byte[] qemu = new byte[3000];
        new Random(seed).nextBytes(qemu);
        byte[] layer = new LayerBuilder().file("app/" + name, Files.readAllBytes(p), 0755)
                .file("usr/bin/qemu-system-x86_64", qemu, 0755).gzip();
        return TestImage.builder().seed(seed).rawLayer(layer)
                .config("Entrypoint", List.of("/app/" + name)).config("Cmd", List.of()).build();
    }
}
