package dev.gantry.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.testing.Launcher;
import dev.gantry.testing.Tools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/gantry itself, run in a copy of the repository's layout with stand-ins
 * for {@code mvn} and {@code java} on PATH (each records that it ran, and the
 * stand-in Maven writes colour codes as Maven 3.8 does with {@code -q}): the
 * launcher builds when the jar is missing or older than a source, never when
 * it is current, and no escape code reaches its output.
 */
class LauncherScriptTest {

    private static final String ESC = "\u001b";

    @TempDir
    Path repo;

    private Path stubs;

    @BeforeEach
    void layout() throws IOException {
        Files.createDirectories(repo.resolve("bin"));
        Files.copy(Launcher.repository().resolve("bin/gantry"), repo.resolve("bin/gantry"));
        Files.writeString(repo.resolve("pom.xml"), "<project/>");
        Files.createDirectories(repo.resolve("proxy-server/src/main/java/dev/gantry"));
        Files.writeString(repo.resolve("proxy-server/src/main/java/dev/gantry/A.java"), "class A {}");
        Files.createDirectories(repo.resolve("proxy-server/target"));
        stubs = Files.createDirectories(repo.resolve("stubs"));
        stub("mvn", "echo mvn >> \"$STUB_LOG\"; printf '\\033[0m\\033[0m'; if [ -n \"${MVN_FAILS:-}\" ]; then "
                + "printf '\\033[1;31m[ERROR]\\033[m it broke\\n'; exit 1; fi; touch proxy-server/target/gantry.jar");
        stub("java", "echo java \"$@\" >> \"$STUB_LOG\"");
    }

    private void stub(String name, String body) throws IOException {
        Path p = stubs.resolve(name);
        Files.writeString(p, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private Tools.Result gantry(Map<String, String> env) {
        Map<String, String> all = new java.util.HashMap<>(env);
        all.put("PATH", stubs + ":" + System.getenv("PATH"));
        all.put("STUB_LOG", repo.resolve("stub.log").toString());
        return Tools.run(List.of("bash", repo.resolve("bin/gantry").toString(), "--version"), all, Duration.ofSeconds(30));
    }

    private List<String> ran() throws IOException {
        Path log = repo.resolve("stub.log");
        return Files.exists(log) ? Files.readAllLines(log) : List.of();
    }

    private void age(Path p, Duration by) throws IOException {
        Files.setLastModifiedTime(p, FileTime.from(Instant.now().minus(by)));
    }

    @Test
    void theFirstRunBuildsQuietlyWithoutColourCodes() throws IOException {
        Tools.Result r = gantry(Map.of());
        assertThat(r.exit()).as(r.stderr()).isZero();
        assertThat(ran()).first().isEqualTo("mvn");
        assertThat(ran()).last().asString().startsWith("java ").endsWith("-jar " + repo.resolve("proxy-server/target/gantry.jar")
                + " --version");
        assertThat(r.stderr()).contains("building").contains("(first run)").doesNotContain(ESC);
        assertThat(r.stdout()).doesNotContain(ESC);
    }

    @Test
    void aCurrentJarIsRunWithoutBuilding() throws IOException {
        Path jar = Files.writeString(repo.resolve("proxy-server/target/gantry.jar"), "jar");
        age(repo.resolve("pom.xml"), Duration.ofHours(1));
        age(repo.resolve("proxy-server/src/main/java/dev/gantry/A.java"), Duration.ofHours(1));
        age(jar, Duration.ofMinutes(1));
        Tools.Result r = gantry(Map.of());
        assertThat(r.exit()).isZero();
        assertThat(ran()).noneMatch(l -> l.equals("mvn")).hasSize(1);
        assertThat(r.stderr()).doesNotContain("building");
    }

    @Test
    void aSourceNewerThanTheJarRebuildsIt() throws IOException {
        Path jar = Files.writeString(repo.resolve("proxy-server/target/gantry.jar"), "jar");
        age(repo.resolve("pom.xml"), Duration.ofHours(1));
        age(jar, Duration.ofMinutes(30));
        Tools.Result r = gantry(Map.of());
        assertThat(r.exit()).isZero();
        assertThat(ran()).first().isEqualTo("mvn");
        assertThat(r.stderr()).contains("(sources changed)");
    }

    @Test
    void aFailedBuildShowsMavensWordsWithoutColourCodesAndExitsOne() throws IOException {
        Tools.Result r = gantry(Map.of("MVN_FAILS", "1"));
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.stderr()).contains("[ERROR] it broke").contains("gantry: the build failed").doesNotContain(ESC);
        assertThat(ran()).containsExactly("mvn");
    }
}
