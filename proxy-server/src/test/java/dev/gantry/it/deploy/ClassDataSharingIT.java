package dev.gantry.it.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.testing.Awaits;
import dev.gantry.testing.Http;
import dev.gantry.testing.Launcher;
import dev.gantry.testing.Tools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/gantry's class-data sharing, with the real jar and JVM: the first
 * {@code serve} records the classes it loaded into an archive beside the jar
 * when it exits; the next start maps its classes from that archive.
 */
class ClassDataSharingIT {

    @TempDir
    Path tmp;

    private final int port = Tools.freePort();

    @Test
    void theFirstServeArchivesItsClassesAtExitAndTheNextStartLoadsThemFromTheArchive() throws Exception {
        Path jar = Files.copy(Path.of("target/gantry.jar"), tmp.resolve("gantry.jar"));
        Path config = config();

        Process first = serve(jar, config, Map.of());
        stop(first);
        List<Path> written = archives();
        assertThat(written).as("written at exit under the first process's id").hasSize(1);
        assertThat(written.get(0).getFileName().toString()).endsWith(".jsa." + first.pid());
        assertThat(Files.size(written.get(0))).isGreaterThan(16L << 20);

        Path loaded = tmp.resolve("loaded.txt");
        Process second = serve(jar, config, Map.of("GANTRY_JAVA_OPTS", "-Xlog:class+load=info:file=" + loaded));
        stop(second);
        assertThat(archives()).as("adopted under its own name, once its writer was gone").singleElement()
                .satisfies(p -> assertThat(p.getFileName().toString()).endsWith(".jsa"));
        List<String> lines = Files.readAllLines(loaded);
        assertThat(lines).anyMatch(l -> l.contains(" dev.gantry.cli.GantryCommand source: shared objects file (top)"));
        long gantry = lines.stream().filter(l -> l.contains(" dev.gantry.")).count();
        long shared = lines.stream().filter(l -> l.contains(" dev.gantry.") && l.contains("source: shared objects file")).count();
        assertThat(shared).as("of %d of Gantry's own classes loaded, those mapped from the archive", gantry)
                .isGreaterThanOrEqualTo(gantry * 9 / 10).isGreaterThan(100);
    }

    @Test
    void anArchiveCutShortIsRefusedByTheJvmAtAdoptionAndRecordedAgain() throws Exception {
        Path jar = Files.copy(Path.of("target/gantry.jar"), tmp.resolve("gantry.jar"));
        Path config = config();
        stop(serve(jar, config, Map.of()));
        Path written = archives().get(0);
        // A dump cut short (its writer killed while writing): the header is there, the rest is not.
        // Mapped as it is, it crashes the JVM at start.
        byte[] head = new byte[20 << 20];
        try (var in = Files.newInputStream(written)) {
            assertThat(in.readNBytes(head, 0, head.length)).isEqualTo(head.length);
        }
        Files.write(written, head);

        Process second = serve(jar, config, Map.of());
        stop(second);
        assertThat(archives()).as("the cut one discarded, a new one written at exit").singleElement()
                .satisfies(p -> assertThat(p.getFileName().toString()).endsWith(".jsa." + second.pid()));
        try (Stream<Path> files = Files.list(tmp)) {
            assertThat(files.map(f -> f.getFileName().toString()))
                    .as("the JVM that checked the cut archive crashed on it and left no crash log or core in the working directory")
                    .noneMatch(n -> n.startsWith("hs_err_pid") || n.startsWith("core"));
        }
    }

    /** A server with nothing to serve, on a port of its own ({@link #port}). */
    private Path config() throws IOException {
        return Files.writeString(tmp.resolve("gantry.yaml"), "listen: 127.0.0.1:" + port + "\n"
                + "storage: {disk: {path: " + tmp.resolve("data") + "}}\nupstreams: []\n");
    }

    private Process serve(Path jar, Path config, Map<String, String> env) throws IOException {
        ProcessBuilder pb = new ProcessBuilder("bash", Launcher.repository().resolve("bin/gantry").toString(), "serve",
                "--config", config.toString()).directory(tmp.toFile()).redirectErrorStream(true).redirectOutput(tmp.resolve("out-" + System.nanoTime() + ".log").toFile());
        pb.environment().put("GANTRY_JAR", jar.toString());
        pb.environment().remove("GANTRY_JAVA_OPTS");
        pb.environment().remove("GANTRY_CDS");
        pb.environment().putAll(env);
        Process p = pb.start();
        Http http = new Http("http://127.0.0.1:" + port);
        Awaits.waitFor("Gantry ready", Duration.ofSeconds(120)).unless(() -> p.isAlive() ? null : "Gantry exited")
                .until(() -> http.get("/readyz").status() == 200);
        return p;
    }

    /** SIGTERM, as an operator stops it; the archive is written while the JVM exits. */
    private static void stop(Process p) throws InterruptedException {
        p.destroy();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("stopped").isTrue();
        assertThat(p.exitValue()).as("the JVM's exit on SIGTERM, after its shutdown").isIn(0, 143);
    }

    private List<Path> archives() throws IOException {
        try (Stream<Path> files = Files.list(tmp)) {
            return files.filter(f -> f.getFileName().toString().matches("gantry\\.jar\\.\\d+\\.jsa(\\.\\d+)?")).toList();
        }
    }
}
