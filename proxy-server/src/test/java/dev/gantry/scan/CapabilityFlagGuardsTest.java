package dev.gantry.scan;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks whose answer travels through a variable or a context before it selects code — the
 * shapes of OpenSSL ({@code OPENSSL_ia32cap_P} filled through a pointer by the CPUID routine),
 * DPDK (a flag set by an initialiser that called the check), OpenSSL's {@code *_eligible()}
 * predicates, and zstd's {@code DYNAMIC_BMI2} twins — on programs compiled here, plain and
 * stripped. In each, an SSE4.1 function called with no check stays required.
 */
class CapabilityFlagGuardsTest {
    @TempDir
    Path tmp;

    private static final String COMMON = """
            #include <cpuid.h>
            #include <immintrin.h>
            #include <stdio.h>
            #include <stdlib.h>
            unsigned caps[4];
            static int wide_ok;
            __attribute__((noinline)) void cpuid_fill(unsigned *v) {
                unsigned a, b, c, d; __cpuid_count(7, 0, a, b, c, d); v[0] = b; v[1] = c;
            }
            __attribute__((noinline)) int leaf7_ebx(void) { unsigned a, b, c, d; __cpuid_count(7, 0, a, b, c, d); return b; }
            __attribute__((noinline)) void setup(void) { cpuid_fill(caps); wide_ok = (leaf7_ebx() >> 5) & 1; }
            __attribute__((noinline)) int maximum(const int *a, int n) {
                __m128i m = _mm_set1_epi32(-2147483647);
                for (int i = 0; i + 4 <= n; i += 4) m = _mm_max_epi32(m, _mm_loadu_si128((const __m128i *) (a + i)));
                return _mm_extract_epi32(m, 0) + _mm_extract_epi32(m, 3);
            }
            __attribute__((noinline)) int plain(const int *a, int n) { int s = 0; for (int i = 0; i < n; i++) s ^= a[i]; return s; }
            #define WIDE { __m256i s = _mm256_setzero_si256(); \\
                for (int i = 0; i + 8 <= n; i += 8) s = _mm256_add_epi32(s, _mm256_loadu_si256((const __m256i *) (a + i))); \\
                return _mm256_extract_epi32(s, 0) + _mm256_extract_epi32(s, 5); }
            """;

    private CpuFinding scan(Path file) throws Exception {
        LayerFindings f = Scans.scan(new LayerBuilder().file("/app/prog", Files.readAllBytes(file), 0755).gzip());
        assertThat(f.cpu()).hasSize(1);
        return f.cpu().get(0);
    }

    private Path[] plainAndStripped(Path p) throws Exception {
        TestTools.require("strip");
        Path out = p.resolveSibling(p.getFileName() + ".stripped");
        TestTools.run(tmp, "strip", "-s", "-o", out.toString(), p.toString());
        return new Path[] {p, out};
    }

    @Test
    void aFlagWrittenAfterACheckGuardsTheFunctionsThatReadItAndWhatTheySelect() throws Exception {
        String src = COMMON + """
                __attribute__((noinline, target("avx2"))) int add_wide(const int *a, int n) WIDE
                __attribute__((noinline, target("avx2"))) int xor_wide(const int *a, int n) WIDE
                __attribute__((noinline)) int add(const int *a, int n) { if (caps[0] & 32) return add_wide(a, n); return plain(a, n); }
                __attribute__((noinline)) int xr(const int *a, int n) { if (wide_ok) return xor_wide(a, n); return plain(a, n) ^ 1; }
                int main(int argc, char **argv) {
                    static int a[4096];
                    for (int i = 0; i < 4096; i++) a[i] = atoi(argv[0]) + i;
                    setup();
                    printf("%d %d %d\\n", add(a, 4096), xr(a, 4096), maximum(a, 4096));
                    return 0;
                }
                """;
        for (Path file : plainAndStripped(Programs.gcc(tmp, "flags", src, "-msse4.1"))) {
            CpuFinding c = scan(file);
            assertThat(c.required()).as(file.toString()).contains("sse4_1").doesNotContain("avx2", "avx");
            assertThat(c.supported()).as(file.toString()).contains("avx2");
        }
    }

    @Test
    void aShortPredicateThatReadsTheFlagMakesItsCallerSelectWhatItCalls() throws Exception {
        String src = COMMON + """
                __attribute__((noinline, target("avx2"))) int add_wide(const int *a, int n) WIDE
                __attribute__((noinline)) int wide_eligible(void) { return (caps[0] >> 5) & 1; }
                __attribute__((noinline)) int add(const int *a, int n) { if (wide_eligible()) return add_wide(a, n); return plain(a, n); }
                int main(int argc, char **argv) {
                    static int a[4096];
                    for (int i = 0; i < 4096; i++) a[i] = atoi(argv[0]) + i;
                    setup();
                    printf("%d %d\\n", add(a, 4096), maximum(a, 4096));
                    return 0;
                }
                """;
        for (Path file : plainAndStripped(Programs.gcc(tmp, "predicate", src, "-msse4.1"))) {
            CpuFinding c = scan(file);
            assertThat(c.required()).as(file.toString()).contains("sse4_1").doesNotContain("avx2", "avx");
            assertThat(c.supported()).as(file.toString()).contains("avx2");
        }
    }

    @Test
    void aBmi2TwinChosenByAFlagInAContextIsSupportedNotRequired() throws Exception {
        String src = COMMON + """
                struct ctx { int bmi2; };
                #define DEC { unsigned s = 0; for (int i = 0; i < n; i++) s += (a[i] >> (a[i] & 31)) ^ (a[i] << (s & 15)); return s; }
                __attribute__((noinline, target("bmi2"))) unsigned dec_fast(const unsigned *a, int n) DEC
                __attribute__((noinline)) unsigned dec_default(const unsigned *a, int n) DEC
                __attribute__((noinline)) unsigned dec(struct ctx *c, const unsigned *a, int n) {
                    unsigned r = c->bmi2 ? dec_fast(a, n) : dec_default(a, n);
                    return r * 3 + 1;
                }
                __attribute__((noinline)) struct ctx *create(void) {
                    struct ctx *c = malloc(sizeof *c);
                    unsigned a, b, cc, d; __cpuid_count(7, 0, a, b, cc, d); c->bmi2 = (b >> 8) & 1;
                    return c;
                }
                int main(int argc, char **argv) {
                    static unsigned a[4096];
                    for (int i = 0; i < 4096; i++) a[i] = atoi(argv[0]) + i;
                    printf("%u %d\\n", dec(create(), a, 4096), maximum((const int *) a, 4096));
                    return 0;
                }
                """;
        for (Path file : plainAndStripped(Programs.gcc(tmp, "twins", src, "-msse4.1", "-fno-tree-vectorize"))) {
            CpuFinding c = scan(file);
            assertThat(c.required()).as(file.toString()).contains("sse4_1").doesNotContain("bmi2");
            assertThat(c.supported()).as(file.toString()).contains("bmi2");
        }
    }
}
