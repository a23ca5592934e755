package dev.gantry.hardware;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.oci.Digest;
import dev.gantry.scan.CpuFinding;
import dev.gantry.scan.DebianPackages;
import dev.gantry.scan.ImageAnalyzer;
import dev.gantry.scan.ImagePlatform;
import dev.gantry.scan.LayerBuilder;
import dev.gantry.scan.LayerFindings;
import dev.gantry.scan.LayerScanner;
import dev.gantry.scan.Programs;
import dev.gantry.scan.ScanLimits;
import dev.gantry.scan.kb.KnowledgeBase;
import dev.gantry.schema.Evidence;
import dev.gantry.schema.HardwareDocument;
import dev.gantry.schema.HardwareSchema;
import dev.gantry.schema.Level;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The C runtime's own CPU dispatch is not the image's: real glibc, libgcc_s,
 * libstdc++ and libgomp (Debian packages; the cross toolchain's arm64
 * libgcc_s, which is Debian's) under a plain {@code -O2} program give a
 * document without CPU features, and {@code gantry check}'s verdict is
 * "runs" on every CPU model. qemu-user is not installed here, so the models
 * are host profiles with the CPU flags QEMU's models expose (as
 * {@code /proc/cpuinfo} spells them), not runs under emulation.
 */
class CRuntimeVerdictTest {
    private static final KnowledgeBase KB = KnowledgeBase.embedded();
    private static final LayerScanner SCANNER = new LayerScanner(KB, ScanLimits.defaults());
    private static final ImageAnalyzer ANALYZER = new ImageAnalyzer(KB,
            Clock.fixed(Instant.parse("2026-12-01T00:00:00Z"), ZoneOffset.UTC));
    private static final HardwareSchema SCHEMA = new HardwareSchema();

    private static final List<String> X86_BASE = List.of("fpu", "de", "pse", "tsc", "msr", "pae", "mce", "cx8",
            "apic", "sep", "mtrr", "pge", "mca", "cmov", "pat", "pse36", "clflush", "mmx", "fxsr", "sse", "sse2",
            "syscall", "nx", "lm");
    /** QEMU's qemu64: x86-64-v1 plus SSE3, CMPXCHG16B, LAHF. */
    static final Set<String> QEMU64 = flags(X86_BASE, "pni", "cx16", "lahf_lm", "hypervisor");
    static final Set<String> NEHALEM = flags(QEMU64, "ssse3", "sse4_1", "sse4_2", "popcnt");
    static final Set<String> SANDY_BRIDGE = flags(NEHALEM, "avx", "aes", "pclmulqdq", "xsave", "x2apic",
            "tsc_deadline_timer");
    static final Set<String> HASWELL = flags(SANDY_BRIDGE, "avx2", "bmi1", "bmi2", "fma", "movbe", "f16c", "abm",
            "fsgsbase", "erms", "invpcid", "rdrand");
    static final Set<String> CORTEX_A72 = Set.of("fp", "asimd", "evtstrm", "aes", "pmull", "sha1", "sha2", "crc32",
            "cpuid");

    private static final String PLAIN = """
            #include <math.h>
            #include <stdio.h>
            #include <stdlib.h>
            #include <string.h>
            int main(int argc, char **argv) {
                double s = 0; for (int i = 0; i < 1000; i++) s += sin(atof(argv[0]) + i);
                char buf[64]; memset(buf, 'x', sizeof buf - 1); buf[63] = 0;
                printf("%f %zu\\n", s, strlen(buf) + strlen(argv[0]));
                return 0;
            }
            """;

    @TempDir
    static Path tmp;
    static LayerFindings runtimeLayer;

    @BeforeAll
    static void debianCRuntime() throws Exception {
        LayerBuilder l = new LayerBuilder();
        for (String pkg : List.of("libc6", "libgcc-s1", "libstdc++6", "libgomp1")) {
            l.tree(DebianPackages.unpack(pkg, tmp), "");
        }
        runtimeLayer = scan(l);
    }

    private static Set<String> flags(Iterable<String> base, String... more) {
        Set<String> out = new HashSet<>();
        base.forEach(out::add);
        out.addAll(List.of(more));
        return Set.copyOf(out);
    }

    private static LayerFindings scan(LayerBuilder l) {
        byte[] blob = l.gzip();
        return SCANNER.scan(Digest.sha256(blob), null, new ByteArrayInputStream(blob));
    }

    private static LayerBuilder program(Path binary, String path) throws Exception {
        return new LayerBuilder().file(path.substring(1), Files.readAllBytes(binary), 0755);
    }

    private static HardwareDocument image(ImagePlatform platform, String entrypoint, LayerFindings... layers) {
        String config = "{\"architecture\":\"" + platform.architecture() + "\",\"os\":\"linux\",\"config\":{"
                + "\"Entrypoint\":[\"" + entrypoint + "\"]}}";
        HardwareDocument d = ANALYZER.analyze(null, platform, config.getBytes(StandardCharsets.UTF_8), List.of(layers));
        SCHEMA.requireValid(d);
        return d;
    }

    private static Verdict check(HardwareDocument d, String arch, Set<String> cpuFlags) {
        return Checker.check("test", List.of(new HardwareService.PlatformDocument(null, d, false)),
                new HostProfile("linux", arch, cpuFlags, Set.of(), Set.of(), Set.of(), List.of()));
    }

    private static CpuFinding finding(LayerFindings f, String suffix) {
        return f.cpu().stream().filter(c -> c.path().endsWith(suffix)).findFirst().orElseThrow();
    }

    @Test
    void aPlainO2ProgramLinkedToGlibcRunsNotDegradedOnEveryX86Model() throws Exception {
        // the case is real: glibc's own IFUNC variants use AVX2 (and more) behind dispatch
        assertThat(finding(runtimeLayer, "/libc.so.6").supported()).contains("avx2", "sse4_2");
        LayerFindings app = scan(program(Programs.gcc(tmp, "plain", PLAIN, "-O2", "-lm"), "/usr/local/bin/plain"));
        HardwareDocument d = image(new ImagePlatform("linux", "amd64", null), "/usr/local/bin/plain",
                runtimeLayer, app);

        assertThat(d.platform().cpu().features()).as("CPU features of the image's own code").isEmpty();
        assertThat(d.platform().cpu().level()).isEqualTo("x86-64-v1");
        assertThat(d.evidence()).as("the runtime's dispatch is listed apart").anySatisfy(e -> {
            assertThat(e.kind()).isEqualTo(Evidence.RUNTIME_CPU_FEATURE);
            assertThat(e.name()).isEqualTo("avx2");
            assertThat(e.path()).endsWith("/libc.so.6");
        });
        assertThat(d.evidence()).noneMatch(e -> e.kind().equals(Evidence.CPU_FEATURE));
        for (Map.Entry<String, Set<String>> model : Map.of("qemu64", QEMU64, "Nehalem", NEHALEM, "SandyBridge",
                SANDY_BRIDGE, "Haswell", HASWELL).entrySet()) {
            Verdict v = check(d, "x86_64", model.getValue());
            assertThat(v.verdict()).as(model.getKey() + ": " + v.reasons()).isEqualTo(Verdict.RUNS);
        }
    }

    @Test
    void codeTheImageRunsBehindItsOwnDispatchIsStillDegradedWithoutTheFeature() throws Exception {
        String src = """
                #include <stdio.h>
                #include <stdlib.h>
                __attribute__((target_clones("avx2", "default")))
                int sum(const int *a, int n) { int s = 0; for (int i = 0; i < n; i++) s += a[i] * a[i]; return s; }
                int main(int argc, char **argv) {
                    static int a[4096]; for (int i = 0; i < 4096; i++) a[i] = atoi(argv[0]) + i;
                    printf("%d\\n", sum(a, 4096)); return 0;
                }
                """;
        LayerFindings app = scan(program(Programs.gcc(tmp, "clones", src), "/usr/local/bin/clones"));
        HardwareDocument d = image(new ImagePlatform("linux", "amd64", null), "/usr/local/bin/clones",
                runtimeLayer, app);

        assertThat(d.platform().cpu().features()).containsEntry("avx2", Level.SUPPORTED)
                .doesNotContainKey("avx512f");
        assertThat(d.evidence()).as("the runtime's many avx2 entries do not crowd out the image's")
                .anySatisfy(e -> {
                    assertThat(e.kind()).isEqualTo(Evidence.CPU_FEATURE);
                    assertThat(e.name()).isEqualTo("avx2");
                    assertThat(e.path()).isEqualTo("/usr/local/bin/clones");
                });
        Verdict nehalem = check(d, "x86_64", NEHALEM);
        assertThat(nehalem.verdict()).isEqualTo(Verdict.DEGRADED);
        assertThat(nehalem.reasons()).anySatisfy(r -> assertThat(r.message()).contains("avx2"))
                .noneSatisfy(r -> assertThat(r.message()).contains("avx512"));
        assertThat(check(d, "x86_64", HASWELL).verdict()).isEqualTo(Verdict.RUNS);
    }

    @Test
    void aTestProgramShippedBesideTheEntrypointNeitherFailsNorDegradesTheVerdict() throws Exception {
        LayerFindings app = scan(program(Programs.gcc(tmp, "plain-app", PLAIN, "-O2", "-lm"), "/usr/local/bin/app")
                .file("usr/local/bin/app-avx2-selftest", Files.readAllBytes(
                        Programs.gcc(tmp, "selftest", Programs.VECTOR_LOOP, "-mavx2")), 0755));
        HardwareDocument d = image(new ImagePlatform("linux", "amd64", null), "/usr/local/bin/app", runtimeLayer, app);

        assertThat(d.platform().cpu().features()).containsEntry("avx2", Level.SUPPORTED);
        assertThat(d.platform().cpu().notLoaded()).contains("avx2");
        assertThat(d.evidence()).anySatisfy(e -> {
            assertThat(e.path()).isEqualTo("/usr/local/bin/app-avx2-selftest");
            assertThat(e.detail()).contains("not loaded by the entry point");
        });
        Verdict nehalem = check(d, "x86_64", NEHALEM);
        assertThat(nehalem.verdict()).as(nehalem.reasons().toString()).isEqualTo(Verdict.RUNS);
        assertThat(nehalem.reasons()).anySatisfy(r -> {
            assertThat(r.severity()).isEqualTo("info");
            assertThat(r.message()).contains("avx2").contains("does not load");
        });
        assertThat(check(d, "x86_64", QEMU64).verdict()).isEqualTo(Verdict.RUNS);
        assertThat(Artifacts.nfdSpec(d).toString()).as("no part of running at full speed").doesNotContain("AVX2");
    }

    @Test
    void libgccsSveUnwinderPathDoesNotMakeArm64ImagesRequireSve() throws Exception {
        Path lib = Path.of("/usr/aarch64-linux-gnu/lib");
        LayerBuilder rt = new LayerBuilder();
        for (String name : List.of("libgcc_s.so.1", "libc.so.6", "libm.so.6", "ld-linux-aarch64.so.1")) {
            rt.file("usr/lib/aarch64-linux-gnu/" + name, Files.readAllBytes(lib.resolve(name)), 0755);
        }
        LayerFindings runtime = scan(rt);
        // the case is real: Debian's arm64 libgcc_s has an SVE instruction (cntd in _Unwind_GetGR)
        assertThat(finding(runtime, "/libgcc_s.so.1").required()).contains("sve");
        Path plain = Programs.compile(tmp, "plain-a64", PLAIN, "aarch64-linux-gnu-gcc", "-O2", "-lm");
        HardwareDocument d = image(new ImagePlatform("linux", "arm64", null), "/usr/local/bin/plain",
                runtime, scan(program(plain, "/usr/local/bin/plain")));

        assertThat(d.platform().cpu().features()).doesNotContainKey("sve").isEmpty();
        assertThat(d.evidence()).anySatisfy(e -> {
            assertThat(e.kind()).isEqualTo(Evidence.RUNTIME_CPU_FEATURE);
            assertThat(e.name()).isEqualTo("sve");
            assertThat(e.path()).endsWith("/libgcc_s.so.1");
        });
        Verdict a72 = check(d, "aarch64", CORTEX_A72);
        assertThat(a72.verdict()).as(a72.reasons().toString()).isEqualTo(Verdict.RUNS);
    }

    /** The truth matrix found libmemusage and libnsl missing: their outline atomics showed in arm64 verdicts. */
    @Test
    void everySharedObjectGlibcShipsIsTheCRuntime() throws Exception {
        KnowledgeBase kb = KnowledgeBase.load(Path.of("..", "conf", "hardware-kb"));
        for (String arch : List.of("amd64", "arm64")) {
            Path root = DebianPackages.unpack("libc6", arch, tmp.resolve("all-" + arch));
            List<String> objects;
            try (var files = Files.walk(root)) {
                objects = files.filter(Files::isRegularFile)
                        .map(f -> "/" + root.relativize(f).toString().replace('\\', '/'))
                        .filter(f -> f.matches(".*\\.so(\\.[0-9.]+)?$") && !f.contains("/gconv/"))
                        .toList();
            }
            assertThat(objects).as("shared objects of libc6 (%s)", arch).isNotEmpty();
            assertThat(objects).as("libc6 (%s) outside cpu.runtime", arch).allSatisfy(f ->
                    assertThat(kb.isCRuntime(f)).as(f).isTrue());
        }
    }

    @Test
    void theRuntimeListComesFromTheKnowledgeBase(@TempDir Path kbDir) throws Exception {
        // the same layers under a knowledge base whose cpu.runtime lacks libc: glibc's dispatch counts again
        Path conf = Path.of("..", "conf", "hardware-kb");
        try (var s = Files.list(conf)) {
            for (Path p : s.toList()) {
                Files.copy(p, kbDir.resolve(p.getFileName()));
            }
        }
        Path runtimeYaml = kbDir.resolve("runtime.yaml");
        Files.writeString(runtimeYaml, Files.readString(runtimeYaml).replace("    - \"libc.so.6\"\n", ""));
        KnowledgeBase edited = KnowledgeBase.load(kbDir);
        LayerScanner scanner = new LayerScanner(edited, ScanLimits.defaults());
        byte[] blob = new LayerBuilder().tree(DebianPackages.unpack("libc6", tmp.resolve("again")), "").gzip();
        LayerFindings f = scanner.scan(Digest.sha256(blob), null, new ByteArrayInputStream(blob));
        HardwareDocument d = new ImageAnalyzer(edited, Clock.systemUTC()).analyze(null,
                new ImagePlatform("linux", "amd64", null),
                "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{}}".getBytes(StandardCharsets.UTF_8),
                List.of(f));
        assertThat(d.platform().cpu().features()).containsEntry("avx2", Level.SUPPORTED);
    }
}
