package dev.gantry.scan;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gantry.schema.HardwareDocument;
import dev.gantry.schema.HardwareJson;
import dev.gantry.schema.HardwareSchema;
import dev.gantry.schema.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Required comes from what runs: the entry point is followed (PATH, links,
 * wrapper scripts, {@code sh -c}) to its programs and their {@code DT_NEEDED}
 * closure in the image's own search path, and only the code it loads can make
 * a CPU feature required. Programs and libraries are compiled here by gcc.
 */
class EntryPointClosureTest {
    private static final HardwareSchema SCHEMA = new HardwareSchema();
    private static final ImageAnalyzer ANALYZER = new ImageAnalyzer(Scans.KB,
            Clock.fixed(Instant.parse("2026-12-01T00:00:00Z"), ZoneOffset.UTC));

    /** Unguarded SSE4.2 (crc32) in a library function: whoever loads the library needs SSE4.2. */
    private static final String SSE42_LIBRARY = """
            #include <nmmintrin.h>
            unsigned checksum(const unsigned *a, int n) {
                unsigned c = 0; for (int i = 0; i < n; i++) c = _mm_crc32_u32(c, a[i]); return c;
            }
            """;
    private static final String SSE42_USER = """
            #include <stdio.h>
            unsigned checksum(const unsigned *a, int n);
            int main(int argc, char **argv) { unsigned a[4] = {argc, 2, 3, 4}; printf("%u\\n", checksum(a, 4)); return 0; }
            """;

    @TempDir
    static Path tmp;
    static byte[] plain;
    static byte[] avx2;
    static byte[] sse42Lib;

    @BeforeAll
    static void compile() throws Exception {
        plain = Files.readAllBytes(Programs.gcc(tmp, "plain", Programs.VECTOR_LOOP, "-O2"));
        avx2 = Files.readAllBytes(Programs.gcc(tmp, "avx2-test", Programs.VECTOR_LOOP, "-mavx2"));
        sse42Lib = Files.readAllBytes(Programs.gcc(tmp, "libsse42.so.1", SSE42_LIBRARY, "-shared", "-fPIC",
                "-msse4.2", "-Wl,-soname,libsse42.so.1"));
        Files.copy(tmp.resolve("libsse42.so.1"), tmp.resolve("libsse42.so"));
    }

    private static HardwareDocument image(String configInner, LayerBuilder... layers) {
        List<LayerFindings> findings = new ArrayList<>();
        for (LayerBuilder l : layers) {
            findings.add(Scans.scan(l.gzip()));
        }
        String config = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{" + configInner + "}}";
        HardwareDocument d = ANALYZER.analyze(null, new ImagePlatform("linux", "amd64", null),
                config.getBytes(StandardCharsets.UTF_8), findings);
        SCHEMA.requireValid(d);
        return d;
    }

    private static byte[] sse42App(String name, String... linkFlags) throws Exception {
        List<String> flags = new ArrayList<>(List.of("-O2", "-L" + tmp, "-lsse42"));
        flags.addAll(List.of(linkFlags));
        return Files.readAllBytes(Programs.gcc(tmp, name, SSE42_USER, flags.toArray(String[]::new)));
    }

    @Test
    void aTestProgramBesideThePlainEntrypointIsOnlySupportedAndSaysItIsNotLoaded() {
        HardwareDocument d = image("\"Entrypoint\":[\"/usr/bin/app\"]", new LayerBuilder()
                .file("usr/bin/app", plain, 0755).file("usr/bin/app-avx2-test", avx2, 0755));

        assertThat(d.platform().cpu().features()).containsEntry("avx2", Level.SUPPORTED);
        assertThat(d.platform().cpu().notLoaded()).contains("avx2");
        assertThat(d.platform().cpu().level()).isEqualTo("x86-64-v1");
        assertThat(d.evidence()).anySatisfy(e -> {
            assertThat(e.name()).isEqualTo("avx2");
            assertThat(e.path()).isEqualTo("/usr/bin/app-avx2-test");
            assertThat(e.level()).isEqualTo(Level.SUPPORTED);
            assertThat(e.detail()).contains("not loaded by the entry point (/usr/bin/app)")
                    .contains("used without CPU dispatch");
        });
        assertThat(d.scan().notes()).anySatisfy(n -> assertThat(n).contains("the entry point runs /usr/bin/app"));
    }

    @Test
    void theSameTestProgramAsTheEntrypointRequiresAvx2() {
        HardwareDocument d = image("\"Cmd\":[\"app-avx2-test\"]", new LayerBuilder()
                .file("usr/bin/app", plain, 0755).file("usr/bin/app-avx2-test", avx2, 0755));
        assertThat(d.platform().cpu().features()).containsEntry("avx2", Level.REQUIRED);
        assertThat(d.platform().cpu().notLoaded()).isEmpty();
    }

    @Test
    void aLibraryTheEntrypointNeedsThroughItsRunpathIsRequired() throws Exception {
        byte[] app = sse42App("app-runpath", "-Wl,--enable-new-dtags,-rpath,$ORIGIN/../lib");
        HardwareDocument d = image("\"Entrypoint\":[\"/opt/app/bin/app\"]", new LayerBuilder()
                .file("opt/app/bin/app", app, 0755).file("opt/app/lib/libsse42.so.1", sse42Lib, 0644));

        assertThat(d.platform().cpu().features()).containsEntry("sse4_2", Level.REQUIRED);
        assertThat(d.platform().cpu().level()).isEqualTo("x86-64-v2");
        assertThat(d.evidence()).anySatisfy(e -> {
            assertThat(e.name()).isEqualTo("sse4_2");
            assertThat(e.level()).isEqualTo(Level.REQUIRED);
            assertThat(e.path()).isEqualTo("/opt/app/lib/libsse42.so.1");
        });
    }

    @Test
    void theOldRpathTagIsFollowedToo() throws Exception {
        byte[] app = sse42App("app-rpath", "-Wl,--disable-new-dtags,-rpath,/opt/app/lib");
        HardwareDocument d = image("\"Entrypoint\":[\"/opt/app/bin/app\"]", new LayerBuilder()
                .file("opt/app/bin/app", app, 0755).file("opt/app/lib/libsse42.so.1", sse42Lib, 0644));
        assertThat(d.platform().cpu().features()).containsEntry("sse4_2", Level.REQUIRED);
    }

    @Test
    void aLibraryFoundThroughLdSoConfAndItsIncludesIsRequiredAndOutsideTheSearchPathIsNot() throws Exception {
        byte[] app = sse42App("app-conf");
        LayerBuilder base = new LayerBuilder().file("usr/bin/app", app, 0755)
                .file("opt/vendor/lib/libsse42.so.1", sse42Lib, 0644);
        HardwareDocument configured = image("\"Entrypoint\":[\"/usr/bin/app\"]", base,
                new LayerBuilder().file("etc/ld.so.conf", "include /etc/ld.so.conf.d/*.conf\n")
                        .file("etc/ld.so.conf.d/vendor.conf", "# the vendor's libraries\n/opt/vendor/lib\n"));
        assertThat(configured.platform().cpu().features()).containsEntry("sse4_2", Level.REQUIRED);

        HardwareDocument unconfigured = image("\"Entrypoint\":[\"/usr/bin/app\"]", new LayerBuilder()
                .file("usr/bin/app", app, 0755).file("opt/vendor/lib/libsse42.so.1", sse42Lib, 0644));
        assertThat(unconfigured.platform().cpu().features()).containsEntry("sse4_2", Level.SUPPORTED);
        assertThat(unconfigured.platform().cpu().notLoaded()).contains("sse4_2");
        assertThat(unconfigured.scan().notes()).anySatisfy(n -> assertThat(n)
                .contains("not in the image").contains("libsse42.so.1 (needed by /usr/bin/app)"));
    }

    /**
     * Loader configuration that includes itself from every line (64 lines of {@code include
     * /etc/ld.so.conf.d/*.conf} in each of eight files): followed naively, ~512^4 file reads. Each file is read
     * once, so the image is analysed at once and its own directory still counts.
     */
    @Test
    void loaderConfigurationThatIncludesItselfEverywhereIsReadOnceAndStillCounts() throws Exception {
        byte[] app = sse42App("app-fanout");
        LayerBuilder conf = new LayerBuilder().file("etc/ld.so.conf", "include /etc/ld.so.conf.d/*.conf\n".repeat(64));
        for (char c = 'a'; c <= 'h'; c++) {
            conf.file("etc/ld.so.conf.d/" + c + ".conf", (c == 'h' ? "/opt/vendor/lib\n" : "")
                    + "include /etc/ld.so.conf.d/*.conf\n".repeat(63));
        }
        HardwareDocument d = Assertions.assertTimeoutPreemptively(Duration.ofSeconds(20), () -> image(
                "\"Entrypoint\":[\"/usr/bin/app\"]", new LayerBuilder().file("usr/bin/app", app, 0755)
                        .file("opt/vendor/lib/libsse42.so.1", sse42Lib, 0644), conf));
        assertThat(d.platform().cpu().features()).containsEntry("sse4_2", Level.REQUIRED);
    }

    @Test
    void aGlibcHwcapsCopyOfALoadedLibraryIsSupportedAndCountsAsCodeThatRuns() throws Exception {
        String lib = "void scale(int *a, const int *b, int n) { for (int i = 0; i < n; i++) a[i] = a[i] * b[i] + 3; }\n";
        Path v1 = Programs.gcc(tmp, "libscale.so.1", lib, "-shared", "-fPIC", "-Wl,-soname,libscale.so.1");
        byte[] v3 = Files.readAllBytes(Programs.gcc(tmp, "libscale-v3.so.1", lib, "-shared", "-fPIC",
                "-march=x86-64-v3", "-Wl,-soname,libscale.so.1"));
        byte[] app = Files.readAllBytes(Programs.gcc(tmp, "scale-app", "void scale(int *, const int *, int);\n"
                + "int main(void) { int a[64] = {1}, b[64] = {2}; scale(a, b, 64); return a[0]; }\n", v1.toString()));
        HardwareDocument d = image("\"Entrypoint\":[\"/usr/bin/scale-app\"]", new LayerBuilder()
                .file("usr/bin/scale-app", app, 0755)
                .file("usr/lib/x86_64-linux-gnu/libscale.so.1", Files.readAllBytes(v1), 0644)
                .file("usr/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3/libscale.so.1", v3, 0644));

        assertThat(d.platform().cpu().features()).containsEntry("avx2", Level.SUPPORTED);
        assertThat(d.platform().cpu().notLoaded()).as("the loader maps it on a v3 CPU").doesNotContain("avx2");
        assertThat(d.platform().cpu().level()).isEqualTo("x86-64-v1");
        assertThat(d.evidence()).anySatisfy(e -> {
            assertThat(e.path()).isEqualTo("/usr/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3/libscale.so.1");
            assertThat(e.detail()).contains("glibc-hwcaps copy");
        });
    }

    @Test
    void aShellWrapperScriptIsFollowedToTheProgramItExecs() {
        LayerBuilder l = new LayerBuilder().file("bin/sh", plain, 0755)
                .file("usr/local/bin/start.sh", "#!/bin/sh\nset -e\necho starting >&2\n"
                        + "if [ -n \"$DEBUG\" ]; then set -x; fi\nexec /usr/bin/server --port 80 \"$@\"\n", 0755)
                .file("usr/bin/server", avx2, 0755).file("usr/bin/server-tool", avx2, 0755);
        HardwareDocument d = image("\"Entrypoint\":[\"/usr/local/bin/start.sh\"]", l);

        assertThat(d.platform().cpu().features()).containsEntry("avx2", Level.REQUIRED);
        assertThat(d.evidence()).anySatisfy(e -> {
            assertThat(e.name()).isEqualTo("avx2");
            assertThat(e.level()).isEqualTo(Level.REQUIRED);
            assertThat(e.path()).isEqualTo("/usr/bin/server");
        });
        assertThat(d.evidence()).filteredOn(e -> "/usr/bin/server-tool".equals(e.path()))
                .allSatisfy(e -> assertThat(e.level()).isEqualTo(Level.SUPPORTED)).isNotEmpty();
        assertThat(d.scan().notes()).anySatisfy(n -> assertThat(n)
                .contains("/usr/local/bin/start.sh → /bin/sh → /usr/bin/server"));
    }

    @Test
    void aWrapperScriptRunByBusyboxAsShIsFollowedToo() {
        HardwareDocument d = image("\"Entrypoint\":[\"/start.sh\"]", new LayerBuilder()
                .file("bin/busybox", plain, 0755).symlink("bin/sh", "busybox")
                .file("start.sh", "#!/bin/sh\nexec /usr/bin/server\n", 0755)
                .file("usr/bin/server", avx2, 0755).file("usr/bin/other", avx2, 0755));
        assertThat(d.platform().cpu().features()).containsEntry("avx2", Level.REQUIRED);
        assertThat(d.scan().notes()).anySatisfy(n -> assertThat(n).contains("/start.sh → /bin/busybox → /usr/bin/server"));
    }

    @Test
    void aShellScriptLongerThanWhatIsReadIsNotTakenForAllItRuns() {
        String script = "#!/bin/sh\n/usr/bin/setup\n" + "# padding\n".repeat(8000) + "exec /usr/bin/server\n";
        HardwareDocument d = image("\"Entrypoint\":[\"/start.sh\"]", new LayerBuilder()
                .file("bin/sh", plain, 0755).file("start.sh", script, 0755)
                .file("usr/bin/setup", plain, 0755).file("usr/bin/server", avx2, 0755));
        assertThat(d.platform().cpu().features()).containsEntry("avx2", Level.REQUIRED);
        assertThat(d.scan().notes()).anySatisfy(n -> assertThat(n).contains("entrypoint not resolved")
                .contains("cannot tell what the shell script /start.sh runs"));
    }

    @Test
    void aWrapperScriptThatExecsItsArgumentsRunsTheCmd() {
        LayerBuilder l = new LayerBuilder().file("bin/sh", plain, 0755)
                .file("docker-entrypoint.sh", "#!/bin/sh\nset -e\nexec \"$@\"\n", 0755)
                .file("usr/sbin/server", avx2, 0755);
        HardwareDocument d = image("\"Entrypoint\":[\"/docker-entrypoint.sh\"],\"Cmd\":[\"server\",\"-g\",\"daemon off;\"]",
                l);
        assertThat(d.platform().cpu().features()).containsEntry("avx2", Level.REQUIRED);
    }

    @Test
    void shDashCExecIsFollowedThroughPath() {
        Supplier<LayerBuilder> l = () -> new LayerBuilder().file("bin/sh", plain, 0755)
                .file("usr/bin/server", avx2, 0755);
        HardwareDocument d = image("\"Env\":[\"PATH=/usr/bin:/bin\"],"
                + "\"Entrypoint\":[\"/bin/sh\",\"-c\",\"echo hi; exec server --flag\"]", l.get());
        assertThat(d.platform().cpu().features()).containsEntry("avx2", Level.REQUIRED);
        HardwareDocument interactive = image("\"Cmd\":[\"/bin/sh\"]", l.get());
        assertThat(interactive.platform().cpu().features()).containsEntry("avx2", Level.SUPPORTED);
        assertThat(interactive.platform().cpu().notLoaded()).contains("avx2");
    }

    @Test
    void anInterpreterScriptRunsTheInterpreterFoundByEnv() {
        HardwareDocument d = image("\"Env\":[\"PATH=/usr/local/bin:/usr/bin\"],\"Cmd\":[\"/app/main.py\"]",
                new LayerBuilder().file("usr/bin/env", plain, 0755).file("usr/bin/python3", avx2, 0755)
                        .file("usr/bin/pip-avx2-test", avx2, 0755)
                        .file("app/main.py", "#!/usr/bin/env python3\nprint('hi')\n", 0755));
        assertThat(d.platform().cpu().features()).containsEntry("avx2", Level.REQUIRED);
        assertThat(d.evidence()).anySatisfy(e -> {
            assertThat(e.path()).isEqualTo("/usr/bin/python3");
            assertThat(e.level()).isEqualTo(Level.REQUIRED);
        });
        assertThat(d.scan().notes()).anySatisfy(n -> assertThat(n)
                .contains("/app/main.py → /usr/bin/env → /usr/bin/python3"));
    }

    @Test
    void anUnresolvableEntrypointKeepsEveryFileAndSaysSo() {
        Supplier<LayerBuilder> l = () -> new LayerBuilder().file("usr/bin/server", avx2, 0755)
                .file("bin/sh", plain, 0755).file("start.sh", "#!/bin/sh\nexec \"$SERVER_BIN\" --port 80\n", 0755);
        HardwareDocument missing = image("\"Entrypoint\":[\"/usr/bin/not-there\"]", l.get());
        assertThat(missing.platform().cpu().features()).containsEntry("avx2", Level.REQUIRED);
        assertThat(missing.platform().cpu().notLoaded()).isEmpty();
        assertThat(missing.scan().notes()).anySatisfy(n -> assertThat(n).contains("entrypoint not resolved")
                .contains("/usr/bin/not-there").contains("every file"));

        HardwareDocument variable = image("\"Entrypoint\":[\"/start.sh\"]", l.get());
        assertThat(variable.platform().cpu().features()).containsEntry("avx2", Level.REQUIRED);
        assertThat(variable.scan().notes()).anySatisfy(n -> assertThat(n).contains("entrypoint not resolved")
                .contains("$SERVER_BIN").contains("variable"));

        HardwareDocument none = image("", l.get());
        assertThat(none.platform().cpu().features()).containsEntry("avx2", Level.REQUIRED);
        assertThat(none.scan().notes()).anySatisfy(n -> assertThat(n).contains("no Entrypoint or Cmd"));
    }

    @Test
    void enableKvmOnTheCommandLineMakesKvmRequiredAndQemuAloneOnlySupported() {
        LayerBuilder qemu = new LayerBuilder().file("usr/bin/qemu-system-x86_64", plain, 0755);
        HardwareDocument kvm = image("\"Entrypoint\":[\"qemu-system-x86_64\",\"-enable-kvm\",\"-m\",\"512\"]", qemu);
        assertThat(kvm.platform().hardware()).containsEntry("kvm", Level.REQUIRED);
        assertThat(kvm.passthruDevices()).contains("/dev/kvm");
        assertThat(kvm.evidence()).anySatisfy(e -> {
            assertThat(e.rule()).isEqualTo("kvm.accelerated");
            assertThat(e.config()).isEqualTo("Entrypoint/Cmd");
        });

        HardwareDocument tcg = image("\"Entrypoint\":[\"qemu-system-x86_64\",\"-m\",\"512\"]",
                new LayerBuilder().file("usr/bin/qemu-system-x86_64", plain, 0755));
        assertThat(tcg.platform().hardware()).containsEntry("kvm", Level.SUPPORTED);

        HardwareDocument wrapped = image("\"Entrypoint\":[\"/run-vm.sh\"]", new LayerBuilder()
                .file("usr/bin/qemu-system-x86_64", plain, 0755).file("bin/sh", plain, 0755)
                .file("run-vm.sh", "#!/bin/sh\nexec qemu-system-x86_64 -machine q35,accel=kvm -m 1G \"$@\"\n", 0755));
        assertThat(wrapped.platform().hardware()).containsEntry("kvm", Level.REQUIRED);
        assertThat(wrapped.evidence()).anySatisfy(e -> {
            assertThat(e.rule()).isEqualTo("kvm.accelerated");
            assertThat(e.path()).isEqualTo("/run-vm.sh");
        });
    }

    @Test
    void aCudaLinkedLibraryTheEntrypointLoadsMakesTheGpuRequiredOneMerelyPresentDoesNot() throws Exception {
        TestTools.require("gcc");
        Files.writeString(tmp.resolve("cudart.c"), "int cudaGetDeviceCount(int *n) { *n = 0; return 0; }\n");
        TestTools.run(tmp, "gcc", "-shared", "-fPIC", "-Wl,-soname,libcudart.so.12", "-o",
                tmp.resolve("libcudart.so.12").toString(), "cudart.c");
        Files.writeString(tmp.resolve("infer.c"), "int cudaGetDeviceCount(int *n);\n"
                + "int infer(void) { int n; return cudaGetDeviceCount(&n); }\n");
        TestTools.run(tmp, "gcc", "-shared", "-fPIC", "-Wl,-soname,libinfer.so.1", "-o",
                tmp.resolve("libinfer.so.1").toString(), "infer.c", tmp.resolve("libcudart.so.12").toString());
        byte[] app = Files.readAllBytes(Programs.gcc(tmp, "infer-app", "int infer(void);\n"
                + "int main(void) { return infer(); }\n", tmp.resolve("libinfer.so.1").toString(), "-Wl,-rpath-link," + tmp));
        byte[] infer = Files.readAllBytes(tmp.resolve("libinfer.so.1"));
        byte[] cudart = Files.readAllBytes(tmp.resolve("libcudart.so.12"));
        Supplier<LayerBuilder> l = () -> new LayerBuilder().file("usr/bin/infer-app", app, 0755)
                .file("usr/lib/x86_64-linux-gnu/libinfer.so.1", infer, 0644)
                .file("usr/local/cuda/lib64/libcudart.so.12", cudart, 0644)
                .file("etc/ld.so.conf", "/usr/local/cuda/lib64\n");

        HardwareDocument runs = image("\"Entrypoint\":[\"/usr/bin/infer-app\"]", l.get());
        assertThat(runs.platform().hardware()).containsEntry("gpu.nvidia", Level.REQUIRED);
        assertThat(runs.evidence()).anySatisfy(e -> {
            assertThat(e.rule()).isEqualTo("nvidia.linked-cuda");
            assertThat(e.path()).isEqualTo("/usr/lib/x86_64-linux-gnu/libinfer.so.1");
            assertThat(e.level()).isEqualTo(Level.REQUIRED);
            assertThat(e.detail()).contains("loaded by the image's entrypoint");
        });

        HardwareDocument other = image("\"Entrypoint\":[\"/usr/bin/app\"]", new LayerBuilder()
                .file("usr/bin/app", plain, 0755), l.get());
        assertThat(other.platform().hardware()).containsEntry("gpu.nvidia", Level.SUPPORTED);
    }

    @Test
    void loaderFactsAreRecordedPerFileAndOldFindingsWithoutThemStillRead() throws Exception {
        LayerFindings f = Scans.scan(new LayerBuilder()
                .file("opt/app/bin/app", sse42App("app-facts", "-Wl,--enable-new-dtags,-rpath,$ORIGIN/../lib"), 0755)
                .file("opt/app/lib/libsse42.so.1", sse42Lib, 0644)
                .file("usr/bin/run", "#!/usr/bin/env bash\nexec /opt/app/bin/app \"$@\"\n", 0755)
                .file("etc/ld.so.conf", "include /etc/ld.so.conf.d/*.conf\n").gzip());
        assertThat(f.loader()).anySatisfy(l -> {
            assertThat(l.path()).isEqualTo("/opt/app/bin/app");
            assertThat(l.arch()).isEqualTo("x86_64");
            assertThat(l.interpreter()).isEqualTo("/lib64/ld-linux-x86-64.so.2");
            assertThat(l.needed()).contains("libsse42.so.1", "libc.so.6");
            assertThat(l.runpath()).containsExactly("/opt/app/lib");
        });
        assertThat(f.loader()).anySatisfy(l -> {
            assertThat(l.path()).isEqualTo("/opt/app/lib/libsse42.so.1");
            assertThat(l.soname()).isEqualTo("libsse42.so.1");
        });
        assertThat(f.loader()).anySatisfy(l -> {
            assertThat(l.path()).isEqualTo("/usr/bin/run");
            assertThat(l.interpreter()).isEqualTo("/usr/bin/env");
            assertThat(l.interpreterArg()).isEqualTo("bash");
            assertThat(l.runs()).containsExactly("exec /opt/app/bin/app $@");
        });
        assertThat(f.loader()).anySatisfy(l -> assertThat(l.libraryDirs())
                .containsExactly("include /etc/ld.so.conf.d/*.conf"));

        ObjectMapper mapper = HardwareJson.mapper();
        LayerFindings back = mapper.readValue(mapper.writeValueAsBytes(f), LayerFindings.class);
        assertThat(back).isEqualTo(f);
        var old = mapper.readTree(mapper.writeValueAsBytes(f));
        ((com.fasterxml.jackson.databind.node.ObjectNode) old).remove("loader");
        assertThat(mapper.treeToValue(old, LayerFindings.class).loader()).isEmpty();
    }
}
