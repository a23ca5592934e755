package dev.gantry.hardware;

import dev.gantry.scan.DebianPackages;
import dev.gantry.scan.Programs;
import dev.gantry.scan.TestTools;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The images of the truth matrix, built from real parts for amd64 and
 * arm64: programs gcc compiles here (plain, ISA-level notes, unguarded
 * SIMD in a linked library, run-time dispatch through
 * {@code __builtin_cpu_supports}, {@code target_clones}, an ifunc and
 * {@code getauxval(AT_HWCAP)}, an unused test program shipped beside the
 * real one), Go programs the Go toolchain builds ({@code GOAMD64}), and
 * real Debian packages with the libraries they load (nginx, redis, Python,
 * ripgrep: a Rust program; a DPDK
 * application started on librte_eal), and the device images of
 * {@link DeviceImages} (KVM, RDMA, TPM, DRM, video4linux). Every Debian package is its own layer, so
 * images share layers as real ones do. About 30 MB of .debs per
 * architecture and 25 MB more for the device images, cached by {@link DebianPackages}.
 */
final class TruthCorpus {
    private static final List<String> RUNTIME = List.of("libc6", "libgcc-s1");
    private static final String SELFTEST = "/usr/libexec/app/selftest";

    private final Path work;
    private final boolean avx512;
    private final Map<String, Path> packages = new HashMap<>();

    /** @param avx512 whether to add an AVX-512 program (when this machine can run it natively) */
    TruthCorpus(Path work, boolean avx512) {
        this.work = work;
        this.avx512 = avx512;
    }

    /** The corpus's working directory. */
    Path work() {
        return work;
    }

    static byte[] resource(String name) {
        try (InputStream in = TruthCorpus.class.getResourceAsStream("/truth/" + name)) {
            if (in == null) {
                throw new IllegalStateException("no test resource truth/" + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    List<TruthImage> build() throws IOException, InterruptedException {
        List<TruthImage> images = new ArrayList<>();
        images.addAll(x86Programs());
        images.addAll(armPrograms());
        images.addAll(goPrograms());
        for (String arch : List.of("amd64", "arm64")) {
            images.addAll(debianImages(arch));
        }
        images.addAll(DeviceImages.build(this));
        return images;
    }

    private List<TruthImage> x86Programs() throws IOException, InterruptedException {
        Path src = Files.createDirectories(work.resolve("src-amd64"));
        Files.writeString(src.resolve("vector.c"), Programs.VECTOR_LOOP);
        List<TruthImage> out = new ArrayList<>();
        out.add(program("amd64", "plain-O2", "gcc -O2, glibc only", src, "vector.c", "-O2"));
        out.add(program("amd64", "isa-note-v2", "-march=x86-64-v2 -Wl,-z,x86-64-v2 (ISA level note)", src, "vector.c",
                "-march=x86-64-v2", "-Wl,-z,x86-64-v2"));
        out.add(program("amd64", "isa-note-v3", "-march=x86-64-v3 -Wl,-z,x86-64-v3 (ISA level note)", src, "vector.c",
                "-march=x86-64-v3", "-Wl,-z,x86-64-v3"));
        out.add(program("amd64", "march-v3", "-march=x86-64-v3, no note", src, "vector.c", "-march=x86-64-v3"));
        out.add(program("amd64", "avx", "-mavx (SandyBridge's AVX, not AVX2)", src, "vector.c", "-mavx"));
        if (avx512) {
            out.add(program("amd64", "avx512", "-mavx512f, 512-bit vectors: only the native CPU runs it", src,
                    "vector.c", "-mavx512f", "-mprefer-vector-width=512"));
        }
        out.add(withLibrary("amd64", "lib-sse41", "links a library built -msse4.1, called unguarded", src, "-msse4.1"));
        out.add(withLibrary("amd64", "lib-avx2", "links a library built -mavx2, called unguarded", src, "-mavx2"));
        out.add(program("amd64", "cpu-supports", "AVX2 loop behind __builtin_cpu_supports", src, "dispatch-builtin.c"));
        out.add(program("amd64", "target-clones", "target_clones(avx2, sse4.2, default)", src, "target-clones.c"));
        out.add(program("amd64", "ifunc", "hand-written ifunc resolver picking AVX2", src, "ifunc.c"));
        out.add(beside("amd64", "beside-avx2-test", "plain program; an -mavx2 test program beside it, never run", src,
                "-mavx2"));
        return out;
    }

    private List<TruthImage> armPrograms() throws IOException, InterruptedException {
        Path src = Files.createDirectories(work.resolve("src-arm64"));
        Files.writeString(src.resolve("vector.c"), Programs.VECTOR_LOOP);
        List<TruthImage> out = new ArrayList<>();
        out.add(program("arm64", "plain-O2", "gcc -O2, glibc only", src, "vector.c", "-O2"));
        out.add(program("arm64", "sve", "-march=armv8.2-a+sve, vectorised, unguarded", src, "vector.c",
                "-march=armv8.2-a+sve"));
        out.add(program("arm64", "lse-atomics", "-march=armv8.1-a: inline LSE atomics", src, "atomics.c",
                "-O2", "-march=armv8.1-a"));
        out.add(program("arm64", "outline-atomics", "default flags: gcc's outline atomics test for LSE", src,
                "atomics.c", "-O2"));
        out.add(program("arm64", "sha3", "SHA3 eor3, unguarded", src, "sha3.c", "-O2", "-march=armv8.2-a+sha3"));
        out.add(program("arm64", "dotprod", "udot, unguarded", src, "dotprod.c", "-O2", "-march=armv8.2-a+dotprod"));
        out.add(hwcapGuarded(src));
        out.add(beside("arm64", "beside-sve-test", "plain program; an SVE test program beside it, never run", src,
                "-march=armv8.2-a+sve"));
        return out;
    }

    private TruthImage program(String arch, String name, String what, Path src, String source, String... flags)
            throws IOException, InterruptedException {
        Path layer = Files.createDirectories(work.resolve("layers").resolve(arch + "-" + name).resolve("usr/local/bin"));
        compile(arch, src, source, layer.resolve("app"), flags);
        return image(arch, name, what, List.of(layer.getParent().getParent().getParent()), "/usr/local/bin/app");
    }

    private TruthImage withLibrary(String arch, String name, String what, Path src, String flag)
            throws IOException, InterruptedException {
        Path top = work.resolve("layers").resolve(arch + "-" + name);
        Path libDir = Files.createDirectories(top.resolve("usr/lib/" + triplet(arch)));
        Path bin = Files.createDirectories(top.resolve("usr/local/bin"));
        Files.write(src.resolve("vec.c"), resource("vec.c"));
        Files.write(src.resolve("uselib.c"), resource("uselib.c"));
        Path lib = libDir.resolve("libvec.so.1");
        TestTools.run(src, compiler(arch), "-O3", flag, "-shared", "-fPIC", "-Wl,-soname,libvec.so.1", "-o",
                lib.toString(), "vec.c");
        TestTools.run(src, compiler(arch), "-O2", "-o", bin.resolve("app").toString(), "uselib.c", lib.toString());
        return image(arch, name, what, List.of(top), "/usr/local/bin/app");
    }

    private TruthImage beside(String arch, String name, String what, Path src, String flag)
            throws IOException, InterruptedException {
        Path top = work.resolve("layers").resolve(arch + "-" + name);
        Path bin = Files.createDirectories(top.resolve("usr/local/bin"));
        Path tests = Files.createDirectories(top.resolve(SELFTEST.substring(1)).getParent());
        compile(arch, src, "vector.c", bin.resolve("app"), "-O2");
        compile(arch, src, "vector.c", tests.resolve("selftest"), flag);
        return image(arch, name, what, List.of(top), "/usr/local/bin/app");
    }

    private TruthImage hwcapGuarded(Path src) throws IOException, InterruptedException {
        Path top = work.resolve("layers").resolve("arm64-hwcap-guarded");
        Path bin = Files.createDirectories(top.resolve("usr/local/bin"));
        Files.write(src.resolve("arm-features.c"), resource("arm-features.c"));
        Files.write(src.resolve("arm-guarded.c"), resource("arm-guarded.c"));
        TestTools.run(src, compiler("arm64"), "-O3", "-march=armv8.2-a+sve+sha3+dotprod", "-c", "-o", "features.o",
                "arm-features.c");
        TestTools.run(src, compiler("arm64"), "-O2", "-o", bin.resolve("app").toString(), "arm-guarded.c", "features.o");
        return image("arm64", "hwcap-guarded", "SVE, SHA3, udot, LSE each behind getauxval(AT_HWCAP)", List.of(top),
                "/usr/local/bin/app");
    }

    private void compile(String arch, Path src, String source, Path out, String... flags)
            throws IOException, InterruptedException {
        if (!Files.exists(src.resolve(source))) {
            Files.write(src.resolve(source), resource(source));
        }
        List<String> cmd = new ArrayList<>(List.of(compiler(arch), "-O3"));
        cmd.addAll(List.of(flags)); // a later -O2 wins over -O3
        cmd.addAll(List.of("-o", out.toString(), source));
        TestTools.require(compiler(arch));
        TestTools.run(src, cmd.toArray(String[]::new));
    }

    private List<TruthImage> goPrograms() throws IOException, InterruptedException {
        TestTools.require("go");
        Path src = Files.createDirectories(work.resolve("src-go"));
        Files.write(src.resolve("hello.go"), resource("hello.go"));
        List<TruthImage> out = new ArrayList<>();
        out.add(go("amd64", "go-v1", "Go, GOAMD64=v1 (static)", src, "GOAMD64=v1"));
        out.add(go("amd64", "go-v3", "Go, GOAMD64=v3: the runtime checks the CPU at start", src, "GOAMD64=v3"));
        out.add(go("arm64", "go", "Go (static)", src));
        return out;
    }

    private TruthImage go(String arch, String name, String what, Path src, String... env)
            throws IOException, InterruptedException {
        Path bin = Files.createDirectories(work.resolve("layers").resolve(arch + "-" + name).resolve("usr/local/bin"));
        Path cache = Path.of(System.getProperty("user.home"), ".cache", "gantry-test", "go-build");
        List<String> cmd = new ArrayList<>(List.of("env", "CGO_ENABLED=0", "GOOS=linux", "GOARCH=" + arch,
                "GOCACHE=" + cache, "GOPATH=" + work.resolve("gopath"), "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local"));
        cmd.addAll(List.of(env));
        cmd.addAll(List.of("go", "build", "-trimpath", "-o", bin.resolve("app").toString(), "hello.go"));
        TestTools.run(src, cmd.toArray(String[]::new));
        return image(arch, name, what, List.of(bin.getParent().getParent().getParent()), "/usr/local/bin/app");
    }

    private List<TruthImage> debianImages(String arch) throws IOException, InterruptedException {
        List<TruthImage> out = new ArrayList<>();
        out.add(debian(arch, "nginx", "Debian nginx", List.of("nginx", "libcrypt1", "libpcre2-8-0", "libssl3", "zlib1g"),
                "/usr/sbin/nginx", "-v"));
        out.add(debian(arch, "redis", "Debian redis-server", List.of("libstdc++6", "libssl3", "libatomic1", "libjemalloc2", "liblzf1",
                "libsystemd0", "libcap2", "libgcrypt20", "libgpg-error0", "liblz4-1", "liblzma5", "libzstd1", "redis-tools",
                "redis-server"), "/usr/bin/redis-server", "--version"));
        out.add(debian(arch, "python", "Debian python3.11-minimal", List.of("libexpat1", "zlib1g", "python3.11-minimal"),
                "/usr/bin/python3.11", "-V"));
        out.add(dpdk(arch));
        out.add(debian(arch, "ripgrep", "Debian ripgrep (Rust)", List.of("libpcre2-8-0", "ripgrep"), "/usr/bin/rg",
                "--version"));
        return out;
    }

    /** A program started like a DPDK application, against Debian's librte_eal and what it loads. */
    private TruthImage dpdk(String arch) throws IOException, InterruptedException {
        TruthImage libs = debian(arch, "dpdk-eal", "a DPDK application's start on Debian's librte_eal",
                List.of("libmd0", "libbsd0", "libfdt1", "libnuma1", "librte-kvargs23", "librte-telemetry23", "librte-eal23"),
                "/usr/local/bin/app");
        Path src = Files.createDirectories(work.resolve("src-dpdk-" + arch));
        Files.write(src.resolve("dpdk-eal.c"), resource("dpdk-eal.c"));
        Path top = work.resolve("layers").resolve(arch + "-dpdk-eal");
        Path bin = Files.createDirectories(top.resolve("usr/local/bin"));
        Path eal = pkg(arch, "librte-eal23").resolve("usr/lib/" + triplet(arch) + "/librte_eal.so.23");
        TestTools.run(src, compiler(arch), "-O2", "-o", bin.resolve("app").toString(), "dpdk-eal.c", eal.toString(),
                "-Wl,--allow-shlib-undefined");
        List<Path> layers = new ArrayList<>(libs.layers());
        layers.add(top);
        return new TruthImage(libs.name(), arch, layers, libs.entrypoint(), libs.what());
    }

    private TruthImage debian(String arch, String name, String what, List<String> pkgs, String... entrypoint)
            throws IOException, InterruptedException {
        return debian(arch, name, what, pkgs, Set.of(), entrypoint);
    }

    /** An image of Debian packages, one layer each over the C runtime's, that needs {@code classes}. */
    TruthImage debian(String arch, String name, String what, List<String> pkgs, Set<String> classes,
            String... entrypoint) throws IOException, InterruptedException {
        List<Path> layers = new ArrayList<>();
        for (String pkg : RUNTIME) {
            layers.add(pkg(arch, pkg));
        }
        for (String pkg : pkgs) {
            layers.add(pkg(arch, pkg));
        }
        return new TruthImage(arch + "/" + name, arch, layers, List.of(entrypoint), what, classes);
    }

    /** The Debian package of {@code arch} unpacked (once) into a directory: one layer. */
    Path pkg(String arch, String pkg) throws IOException, InterruptedException {
        String key = arch + "/" + pkg;
        Path dir = packages.get(key);
        if (dir == null) {
            dir = DebianPackages.unpack(pkg, arch, Files.createDirectories(work.resolve("debs-" + arch)));
            packages.put(key, dir);
        }
        return dir;
    }

    /** A compiled program's image: the C runtime's packages below it, as in any Debian-based image. */
    private TruthImage image(String arch, String name, String what, List<Path> top, String entrypoint)
            throws IOException, InterruptedException {
        List<Path> layers = new ArrayList<>();
        if (!name.startsWith("go")) {
            for (String pkg : RUNTIME) {
                layers.add(pkg(arch, pkg));
            }
        }
        layers.addAll(top);
        return new TruthImage(arch + "/" + name, arch, layers, List.of(entrypoint), what);
    }

    private static String compiler(String arch) {
        return arch.equals("amd64") ? "gcc" : "aarch64-linux-gnu-gcc";
    }

    private static String triplet(String arch) {
        return arch.equals("amd64") ? "x86_64-linux-gnu" : "aarch64-linux-gnu";
    }
}
