package dev.gantry.scan;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Layers holding programs compiled here: the CPU features each build
 * requires or merely supports must come out exactly.
 */
class CompiledProgramLayersTest {
    @TempDir
    Path tmp;

    private LayerFindings layerOf(Path program, String path) throws Exception {
        return Scans.scan(new LayerBuilder().file(path, Files.readAllBytes(program), 0755).gzip());
    }

    private static CpuFinding only(LayerFindings f) {
        assertThat(f.cpu()).hasSize(1);
        return f.cpu().get(0);
    }

    @Test
    void aBaselineBuildRequiresNothing() throws Exception {
        LayerFindings f = layerOf(Programs.gcc(tmp, "base", Programs.VECTOR_LOOP), "/usr/bin/base");
        assertThat(f.cpu()).isEmpty();
        assertThat(f.elfFiles()).containsExactly("/usr/bin/base");
    }

    @Test
    void anX8664V3BuildRequiresAvx2AndFma() throws Exception {
        CpuFinding c = only(layerOf(Programs.gcc(tmp, "v3", Programs.VECTOR_LOOP, "-march=x86-64-v3"), "/app/v3"));
        assertThat(c.required()).contains("avx", "avx2", "fma").doesNotContain("avx512f");
        assertThat(c.supported()).isEmpty();
        assertThat(c.dispatch()).isNull();
        assertThat(c.firstUse()).containsKey("avx2");
    }

    @Test
    void anX8664V4BuildRequiresAvx512() throws Exception {
        CpuFinding c = only(layerOf(Programs.gcc(tmp, "v4", Programs.VECTOR_LOOP, "-march=x86-64-v4"), "/app/v4"));
        assertThat(c.required()).contains("avx512f", "avx512vl");
    }

    @Test
    void aesIntrinsicsRequireAes() throws Exception {
        String src = """
                #include <wmmintrin.h>
                #include <stdio.h>
                int main(int argc, char **argv) {
                    __m128i k = _mm_set1_epi32(argc), d = _mm_set1_epi32(argv[0][0]);
                    __m128i r = _mm_aesenc_si128(d, k);
                    printf("%d\\n", _mm_cvtsi128_si32(r));
                    return 0;
                }
                """;
        CpuFinding c = only(layerOf(Programs.gcc(tmp, "aes", src, "-maes"), "/app/aes"));
        assertThat(c.required()).containsExactly("aes");
    }

    @Test
    void aLinkerIsaLevelNoteRequiresTheWholeLevel() throws Exception {
        Path p = Programs.gcc(tmp, "v3note", "int main(void) { return 0; }\n", "-march=x86-64-v3", "-Wl,-z,x86-64-v3");
        CpuFinding c = only(layerOf(p, "/app/v3note"));
        assertThat(c.level()).isEqualTo(3);
        assertThat(c.levelSource()).isEqualTo("isa-needed");
        assertThat(c.required()).contains("avx2", "bmi2", "fma", "movbe", "sse4_2", "popcnt").doesNotContain("avx512f");
    }

    @Test
    void aTargetClonesDispatcherMakesAvx2SupportedNotRequired() throws Exception {
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
        CpuFinding c = only(layerOf(Programs.gcc(tmp, "clones", src), "/app/clones"));
        assertThat(c.supported()).contains("avx2");
        assertThat(c.required()).isEmpty();
        assertThat(c.dispatch()).isNotNull();
    }

    /** A library exporting one vector loop per instruction set, SVML-style; which one runs is its caller's choice. */
    private static final String PER_ISA_LIBRARY = """
            #include <immintrin.h>
            __attribute__((target("avx2"))) void add_l9(int *a, const int *b, int n) {
                for (int i = 0; i + 8 <= n; i += 8) {
                    __m256i x = _mm256_loadu_si256((const __m256i *) (a + i)), y = _mm256_loadu_si256((const __m256i *) (b + i));
                    _mm256_storeu_si256((__m256i *) (a + i), _mm256_add_epi32(x, y));
                }
            }
            __attribute__((target("avx512f"))) void add_z0(int *a, const int *b, int n) {
                for (int i = 0; i + 16 <= n; i += 16) {
                    __m512i x = _mm512_loadu_si512(a + i), y = _mm512_loadu_si512(b + i);
                    _mm512_storeu_si512(a + i, _mm512_add_epi32(x, y));
                }
            }
            """;

    @Test
    void aLibraryExportingPerIsaVariantsLeavesTheChoiceToItsCaller() throws Exception {
        CpuFinding c = only(layerOf(Programs.gcc(tmp, "libvariants.so", PER_ISA_LIBRARY, "-shared", "-fPIC"), "/usr/lib/libvariants.so"));
        assertThat(c.supported()).contains("avx2", "avx512f");
        assertThat(c.required()).doesNotContain("avx2", "avx512f");
        assertThat(c.dispatch()).contains("add_l9").contains("add_z0");
    }

    @Test
    void oneIsaVariantAloneIsStillRequired() throws Exception {
        String single = PER_ISA_LIBRARY.substring(0, PER_ISA_LIBRARY.indexOf("__attribute__((target(\"avx512f\")))"));
        CpuFinding c = only(layerOf(Programs.gcc(tmp, "libsingle.so", single, "-shared", "-fPIC"), "/usr/lib/libsingle.so"));
        assertThat(c.required()).contains("avx2");
        assertThat(c.dispatch()).isNull();
    }

    @Test
    void theJdksVectorMathLibraryIsDispatchedByTheJvmNotRequired() throws Exception {
        // libjsvml exports __jsvml_*_ex/_e9/_l9/_z0 and has no CPUID of its own: libjvm picks the entry points.
        Path jsvml = Path.of(System.getProperty("java.home"), "lib", "libjsvml.so");
        TestTools.requireThat(Files.exists(jsvml), "this JDK has no libjsvml.so");
        CpuFinding c = only(layerOf(jsvml, "/usr/lib/jvm/java-17-openjdk-amd64/lib/libjsvml.so"));
        assertThat(c.required()).as("required features of libjsvml").doesNotContain("avx2", "avx512f", "avx");
        assertThat(c.supported()).contains("avx2");
        assertThat(c.dispatch()).startsWith("exports per-instruction-set variants __jsvml_");
    }

    @Test
    void sgxInstructionsAreRequiredEvenBehindCpuid() throws Exception {
        String src = """
                #include <cpuid.h>
                int main(int argc, char **argv) {
                    unsigned a, b, c, d; __get_cpuid(7, &a, &b, &c, &d);
                    if (argc > 5) __asm__ volatile("enclu" ::: "memory");
                    return (int) (b & 1);
                }
                """;
        CpuFinding c = only(layerOf(Programs.gcc(tmp, "enclave", src), "/app/enclave"));
        assertThat(c.required()).containsExactly("sgx");
        assertThat(c.dispatch()).contains("CPUID");
    }

    @Test
    void aGoBinaryBuiltForGoamd64V3RequiresV3() throws Exception {
        TestTools.require("go");
        Path dir = Files.createDirectories(tmp.resolve("go"));
        Files.writeString(dir.resolve("main.go"), "package main\nimport \"fmt\"\nfunc main() { fmt.Println(\"hi\") }\n");
        ProcessBuilder pb = new ProcessBuilder("go", "build", "-o", "hello", "main.go").directory(dir.toFile())
                .redirectErrorStream(true);
        pb.environment().put("GOAMD64", "v3");
        pb.environment().put("GOCACHE", tmp.resolve("gocache").toString());
        pb.environment().put("GOPATH", tmp.resolve("gopath").toString());
        pb.environment().put("GOFLAGS", "-mod=mod");
        pb.environment().put("GO111MODULE", "off");
        Process proc = pb.start();
        String out = new String(proc.getInputStream().readAllBytes());
        assertThat(proc.waitFor()).as(out).isZero();
        CpuFinding c = only(layerOf(dir.resolve("hello"), "/usr/local/bin/hello"));
        assertThat(c.level()).isEqualTo(3);
        assertThat(c.levelSource()).isEqualTo("goamd64");
        assertThat(c.required()).contains("avx2", "bmi2", "fma");
    }

    @Test
    void anAarch64BuildWithCryptoRequiresAesAndOneThatProbesHwcapsOnlySupportsIt() throws Exception {
        String src = """
                #include <arm_neon.h>
                #include <stdio.h>
                #ifdef PROBE
                #include <sys/auxv.h>
                #endif
                int main(int argc, char **argv) {
                    uint8x16_t d = vdupq_n_u8((uint8_t) argc), k = vdupq_n_u8((uint8_t) argv[0][0]);
                #ifdef PROBE
                    if (!(getauxval(AT_HWCAP) & (1 << 3))) return 1;
                #endif
                    uint8x16_t r = vaeseq_u8(d, k);
                    printf("%d\\n", vgetq_lane_u8(r, 0));
                    return 0;
                }
                """;
        Path plain = Programs.compile(tmp, "a64", src, "aarch64-linux-gnu-gcc", "-march=armv8-a+crypto",
                "-mno-outline-atomics");
        CpuFinding c = only(layerOf(plain, "/app/a64"));
        assertThat(c.arch()).isEqualTo("aarch64");
        assertThat(c.required()).contains("aes");
        Path probing = Programs.compile(tmp, "a64probe", src, "aarch64-linux-gnu-gcc", "-march=armv8-a+crypto",
                "-DPROBE");
        CpuFinding p = only(layerOf(probing, "/app/a64probe"));
        assertThat(p.supported()).contains("aes");
        assertThat(p.required()).isEmpty();
        assertThat(p.dispatch()).contains("getauxval");
    }

    @Test
    void aProgramLinkedToTheCudaRuntimeAndCarryingAFatbinIsFound() throws Exception {
        Path lib = tmp.resolve("libcudart.so.12");
        Files.writeString(tmp.resolve("cudart.c"), "int cudaGetDeviceCount(int *n) { *n = 0; return 0; }\n");
        TestTools.require("gcc");
        TestTools.run(tmp, "gcc", "-shared", "-fPIC", "-Wl,-soname,libcudart.so.12", "-o", lib.toString(),
                "cudart.c");
        Files.createSymbolicLink(tmp.resolve("libcudart.so"), lib.getFileName());
        String src = """
                __attribute__((section(".nv_fatbin"), used)) static const char fatbin[16] = "fatbin";
                int cudaGetDeviceCount(int *n);
                int main(void) { int n; return cudaGetDeviceCount(&n); }
                """;
        Path app = Programs.gcc(tmp, "cuda-app", src, "-L" + tmp, "-lcudart");
        LayerFindings f = Scans.scan(new LayerBuilder()
                .file("usr/local/bin/cuda-app", Files.readAllBytes(app), 0755)
                .file("usr/lib/x86_64-linux-gnu/libcudart.so.12", Files.readAllBytes(lib), 0644).gzip());
        assertThat(f.files()).extracting(FileFinding::path, FileFinding::rule, FileFinding::detail).contains(
                org.assertj.core.groups.Tuple.tuple("/usr/local/bin/cuda-app", "nvidia.linked-cuda", "libcudart.so.12"),
                org.assertj.core.groups.Tuple.tuple("/usr/local/bin/cuda-app", "nvidia.fatbin", ".nv_fatbin"),
                org.assertj.core.groups.Tuple.tuple("/usr/lib/x86_64-linux-gnu/libcudart.so.12", "nvidia.cuda-runtime",
                        null));
    }
}
