package dev.gantry.scan;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Real files for test layers: Debian packages fetched with
 * {@code apt-get download} (cached under {@code ~/.cache/gantry-test/debs},
 * so reruns need no network) and unpacked with {@code dpkg-deb -x}.
 */
public final class DebianPackages {
    static final Path CACHE = Path.of(System.getProperty("user.home"), ".cache", "gantry-test", "debs");

    private DebianPackages() {
    }

    /** The package unpacked into a fresh directory under {@code into}; skips or fails (CI) without the tools. */
    public static Path unpack(String pkg, Path into) throws IOException, InterruptedException {
        TestTools.require("apt-get", "dpkg-deb");
        Path deb = download(pkg);
        Path dir = Files.createDirectories(into.resolve(pkg));
        TestTools.run(null, "dpkg-deb", "-x", deb.toString(), dir.toString());
        return dir;
    }

    static synchronized Path download(String pkg) throws IOException, InterruptedException {
        Files.createDirectories(CACHE);
        Path cached = find(pkg);
        if (cached != null) {
            return cached;
        }
        Path tmp = Files.createTempDirectory(CACHE, "dl");
        try {
            ProcessBuilder pb = new ProcessBuilder("apt-get", "download", pkg).directory(tmp.toFile())
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
        Path deb = find(pkg);
        TestTools.requireThat(deb != null, "apt-get download " + pkg + " produced no .deb");
        return deb;
    }

    private static Path find(String pkg) throws IOException {
        try (Stream<Path> s = Files.list(CACHE)) {
            List<Path> debs = s.filter(p -> p.getFileName().toString().startsWith(pkg + "_")
                    && p.getFileName().toString().endsWith(".deb")).toList();
            return debs.isEmpty() ? null : debs.get(0);
        }
    }
}
