package dev.gantry.scan;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Real files for test layers: Debian packages fetched with
 * {@code apt-get download} (cached under {@code ~/.cache/gantry-test/debs},
 * so reruns need no network) and unpacked with {@code dpkg-deb -x}.
 * Packages of another architecture ({@code arm64} on an amd64 host) come
 * from apt's own client with a private package list under the same cache
 * (one {@code apt-get update} for that architecture, about 10 MB), so the
 * machine's dpkg and apt configuration stay untouched.
 */
public final class DebianPackages {
    static final Path CACHE = Path.of(System.getProperty("user.home"), ".cache", "gantry-test", "debs");

    private DebianPackages() {
    }

    /** The package unpacked into a fresh directory under {@code into}; skips or fails (CI) without the tools. */
    public static Path unpack(String pkg, Path into) throws IOException, InterruptedException {
        return unpack(pkg, null, into);
    }

    /**
     * The package of Debian architecture {@code arch} ({@code amd64}, {@code arm64}; null for this
     * host's) unpacked into a fresh directory under {@code into}.
     */
    public static Path unpack(String pkg, String arch, Path into) throws IOException, InterruptedException {
        TestTools.require("apt-get", "dpkg-deb");
        Path deb = download(pkg, arch == null || arch.equals(HOST_ARCH) ? null : arch);
        Path dir = Files.createDirectories(into.resolve(arch == null ? pkg : pkg + "_" + arch));
        TestTools.run(null, "dpkg-deb", "-x", deb.toString(), dir.toString());
        return dir;
    }

    static final String HOST_ARCH = switch (System.getProperty("os.arch")) {
        case "aarch64", "arm64" -> "arm64";
        default -> "amd64";
    };

    static synchronized Path download(String pkg) throws IOException, InterruptedException {
        return download(pkg, null);
    }

    private static synchronized Path download(String pkg, String foreign) throws IOException, InterruptedException {
        Files.createDirectories(CACHE);
        Path cached = find(pkg, foreign);
        if (cached != null) {
            return cached;
        }
        List<String> apt = foreign == null ? List.of("apt-get") : foreignApt(foreign);
        Path tmp = Files.createTempDirectory(CACHE, "dl");
        try {
            List<String> cmd = new ArrayList<>(apt);
            cmd.addAll(List.of("download", foreign == null ? pkg : pkg + ":" + foreign));
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(tmp.toFile())
                    .redirectErrorStream(true);
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes());
            TestTools.requireThat(p.waitFor() == 0, "apt-get download " + pkg + " failed (run apt-get update, "
                    + "or pre-download the packages of debian-packages.txt): " + out);
            try (Stream<Path> s = Files.list(tmp)) {
                for (Path deb : s.toList()) {
                    Files.move(deb, CACHE.resolve(deb.getFileName()));
                }
            }
        } finally {
            try (Stream<Path> s = Files.list(tmp)) {
                for (Path leftover : s.toList()) {
                    Files.deleteIfExists(leftover);
                }
            }
            Files.deleteIfExists(tmp);
        }
        Path deb = find(pkg, foreign);
        TestTools.requireThat(deb != null, "apt-get download " + pkg + " produced no .deb");
        return deb;
    }

    /** apt-get for {@code arch} with its own package lists under the cache, updated once. */
    private static List<String> foreignApt(String arch) throws IOException, InterruptedException {
        Path state = CACHE.resolveSibling("apt-" + arch);
        Path lists = Files.createDirectories(state.resolve("lists").resolve("partial"));
        Files.createDirectories(state.resolve("cache").resolve("archives").resolve("partial"));
        List<String> apt = List.of("apt-get", "-q", "-o", "APT::Architecture=" + arch, "-o", "APT::Architectures::=" + arch,
                "-o", "Dir::State::Lists=" + lists.getParent(), "-o", "Dir::Cache=" + state.resolve("cache"),
                "-o", "Dir::State::status=/dev/null");
        boolean updated;
        try (Stream<Path> s = Files.list(lists.getParent())) {
            updated = s.anyMatch(p -> p.getFileName().toString().endsWith("_Packages")
                    || p.getFileName().toString().contains("_Packages."));
        }
        if (!updated) {
            List<String> cmd = new ArrayList<>(apt);
            cmd.add("update");
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            TestTools.requireThat(p.waitFor() == 0, "apt-get update for " + arch + " failed: " + out);
        }
        return apt;
    }

    private static Path find(String pkg, String foreign) throws IOException {
        String arch = foreign == null ? HOST_ARCH : foreign;
        try (Stream<Path> s = Files.list(CACHE)) {
            List<Path> debs = s.filter(p -> p.getFileName().toString().startsWith(pkg + "_")
                    && (p.getFileName().toString().endsWith("_" + arch + ".deb")
                        || p.getFileName().toString().endsWith("_all.deb"))).toList();
            return debs.isEmpty() ? null : debs.get(0);
        }
    }
}
