package dev.gantry.scan;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.scan.x86.X86CodeScanner;
import dev.gantry.scan.x86.X86Feature;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Evidence per function, on programs compiled here: a run-time CPU check
 * makes "supported" only what it selects, unguarded code in the same file
 * stays "required", and data kept in {@code .text} is not decoded. Each case
 * is also scanned stripped ({@code strip -s}: no symbol table, so function
 * boundaries come from {@code .eh_frame} and libgcc's {@code __cpu_model} is
 * found only as the variable its CPUID code writes).
 */
class FunctionGuardsTest {
    @TempDir
    Path tmp;

    private CpuFinding scan(Path file, String path) throws Exception {
        LayerFindings f = Scans.scan(new LayerBuilder().file(path, Files.readAllBytes(file), 0755).gzip());
        assertThat(f.cpu()).as(path).hasSizeLessThanOrEqualTo(1);
        return f.cpu().isEmpty() ? null : f.cpu().get(0);
    }

    private Path stripped(Path file, String strip) throws Exception {
        TestTools.require(strip);
        Path out = file.resolveSibling(file.getFileName() + ".stripped");
        TestTools.run(tmp, strip, "-s", "-o", out.toString(), file.toString());
        return out;
    }

    /** An AVX2 sum behind __builtin_cpu_supports; an SSE4.1 maximum (pmaxsd, pextrd) called with no check. */
    private static final String CPU_SUPPORTS = """
            #include <immintrin.h>
            #include <stdio.h>
            #include <stdlib.h>
            __attribute__((noinline, target("avx2"))) int sum_avx2(const int *a, int n) {
                __m256i s = _mm256_setzero_si256();
                for (int i = 0; i + 8 <= n; i += 8) s = _mm256_add_epi32(s, _mm256_loadu_si256((const __m256i *) (a + i)));
                return _mm256_extract_epi32(s, 0) + _mm256_extract_epi32(s, 5);
            }
            __attribute__((noinline)) int sum_plain(const int *a, int n) { int s = 0; for (int i = 0; i < n; i++) s ^= a[i]; return s; }
            __attribute__((noinline)) int maximum(const int *a, int n) {
                __m128i m = _mm_set1_epi32(-2147483647);
                for (int i = 0; i + 4 <= n; i += 4) m = _mm_max_epi32(m, _mm_loadu_si128((const __m128i *) (a + i)));
                return _mm_extract_epi32(m, 0) + _mm_extract_epi32(m, 3);
            }
            __attribute__((noinline)) int sum(const int *a, int n) {
                if (__builtin_cpu_supports("avx2")) return sum_avx2(a, n);
                return sum_plain(a, n);
            }
            int main(int argc, char **argv) {
                static int a[4096];
                for (int i = 0; i < 4096; i++) a[i] = atoi(argv[0]) + i;
                printf("%d %d\\n", sum(a, 4096), maximum(a, 4096));
                return 0;
            }
            """;

    @Test
    void aCpuSupportsCheckGuardsItsAvx2FunctionButNotAnUncheckedSse41One() throws Exception {
        Path p = Programs.gcc(tmp, "guarded", CPU_SUPPORTS, "-msse4.1");
        for (Path file : new Path[] {p, stripped(p, "strip")}) {
            CpuFinding c = scan(file, "/app/guarded");
            assertThat(c.required()).as(file.toString()).contains("sse4_1").doesNotContain("avx2", "avx");
            assertThat(c.supported()).as(file.toString()).contains("avx2");
            assertThat(c.dispatch()).as(file.toString()).isNotNull();
            assertThat(c.firstUse()).containsKey("sse4_1");
        }
    }

    @Test
    void oneCpuidCheckInALibraryBuiltForSse41DoesNotMakeItsOtherFunctionsSupported() throws Exception {
        String src = """
                #include <cpuid.h>
                #include <smmintrin.h>
                int has_avx(void) { unsigned a, b, c, d; __get_cpuid(1, &a, &b, &c, &d); return (c >> 28) & 1; }
                int max4(const int *a, int n) {
                    __m128i m = _mm_set1_epi32(0);
                    for (int i = 0; i + 4 <= n; i += 4) m = _mm_max_epu32(m, _mm_loadu_si128((const __m128i *) (a + i)));
                    return _mm_extract_epi32(m, 1);
                }
                """;
        Path lib = Programs.gcc(tmp, "libsse41.so", src, "-shared", "-fPIC", "-msse4.1");
        for (Path file : new Path[] {lib, stripped(lib, "strip")}) {
            CpuFinding c = scan(file, "/usr/lib/libsse41.so");
            assertThat(c.required()).as(file.toString()).contains("sse4_1");
            assertThat(c.dispatch()).as(file.toString()).contains("CPUID");
        }
    }

    @Test
    void targetClonesAreSupportedAlsoWhenStripped() throws Exception {
        String src = """
                #include <stdio.h>
                #include <stdlib.h>
                __attribute__((target_clones("avx2", "arch=x86-64-v4", "default")))
                int sum(const int *a, int n) { int s = 0; for (int i = 0; i < n; i++) s += a[i] * a[i]; return s; }
                int main(int argc, char **argv) {
                    static int a[4096]; for (int i = 0; i < 4096; i++) a[i] = atoi(argv[0]) + i;
                    printf("%d\\n", sum(a, 4096)); return 0;
                }
                """;
        Path p = Programs.gcc(tmp, "clones", src);
        for (Path file : new Path[] {p, stripped(p, "strip")}) {
            CpuFinding c = scan(file, "/app/clones");
            assertThat(c.supported()).as(file.toString()).contains("avx2", "avx512f");
            assertThat(c.required()).as(file.toString()).isEmpty();
        }
    }

    @Test
    void anArm64IfuncResolverGuardsItsCandidatesAndNothingElse() throws Exception {
        // The resolver reads the hwcap argument the loader passes: no probe symbol, no MRS; the ifunc is the guard.
        String src = """
                #include <arm_acle.h>
                #include <arm_neon.h>
                #include <stdint.h>
                #include <stdio.h>
                __attribute__((target("+crypto"))) static uint8_t mix_aes(uint8_t x, uint8_t k) {
                    return vgetq_lane_u8(vaeseq_u8(vdupq_n_u8(x), vdupq_n_u8(k)), 0);
                }
                static uint8_t mix_plain(uint8_t x, uint8_t k) { return x ^ k; }
                static void *resolve_mix(unsigned long hwcap) { return (hwcap & (1UL << 3)) ? (void *) mix_aes : (void *) mix_plain; }
                uint8_t mix(uint8_t x, uint8_t k) __attribute__((ifunc("resolve_mix")));
                __attribute__((noinline)) uint32_t checksum(uint32_t c, uint32_t v) { return __crc32w(c, v); }
                int main(int argc, char **argv) { printf("%d %u\\n", mix(argc, argv[0][0]), checksum(argc, 7)); return 0; }
                """;
        Path p = Programs.compile(tmp, "ifunc", src, "aarch64-linux-gnu-gcc", "-march=armv8-a+crc");
        for (Path file : new Path[] {p, stripped(p, "aarch64-linux-gnu-strip")}) {
            CpuFinding c = scan(file, "/app/ifunc");
            assertThat(c.arch()).isEqualTo("aarch64");
            assertThat(c.supported()).as(file.toString()).contains("aes");
            assertThat(c.required()).as(file.toString()).contains("crc32").doesNotContain("aes");
        }
    }

    /** EVEX-encoded VADDPH zmm0, zmm0, zmm1 (AVX512-FP16), as bytes of a constant table. */
    private static final int[] FP16_BYTES = {0x62, 0xF5, 0x7C, 0x48, 0x58, 0xC1};

    @Test
    void aConstantTableInTextIsNotDecodedAsCode() throws Exception {
        StringBuilder table = new StringBuilder();
        for (int i = 0; i < 64; i++) {
            table.append(String.format("0x%02x,", FP16_BYTES[i % FP16_BYTES.length]));
        }
        // The same bytes, decoded as code, are AVX512-FP16: what the old whole-section decoding reported.
        byte[] bytes = new byte[64 + 15];
        for (int i = 0; i < 64; i++) {
            bytes[i] = (byte) FP16_BYTES[i % FP16_BYTES.length];
        }
        long[] found = {0};
        new X86CodeScanner().scan(bytes, 0, 64, (offset, f, cpuid) -> found[0] |= f);
        assertThat(found[0] & X86Feature.AVX512_FP16.bit()).isNotZero();
        String src = "__attribute__((section(\".text#\"), aligned(64), used)) const unsigned char table[] = {"
                + table + "};\n"
                + "int main(int argc, char **argv) { return table[argc & 63]; }\n";
        Path p = Programs.gcc(tmp, "table", src);
        for (Path file : new Path[] {p, stripped(p, "strip")}) {
            assertThat(scan(file, "/app/table")).as(file.toString()).isNull();
        }
    }

    @Test
    void aDpdkStyleDriverThatAsksRteCpuGetFlagEnabledOnlySupportsAvx512AndMovdiri() throws Exception {
        Path eal = tmp.resolve("librte_eal.so.23");
        Files.writeString(tmp.resolve("eal.c"), "int rte_cpu_get_flag_enabled(int flag) { return flag == 0; }\n");
        TestTools.require("gcc");
        TestTools.run(tmp, "gcc", "-shared", "-fPIC", "-Wl,-soname,librte_eal.so.23", "-o", eal.toString(), "eal.c");
        Files.createSymbolicLink(tmp.resolve("librte_eal.so"), eal.getFileName());
        String driver = """
                #include <immintrin.h>
                int rte_cpu_get_flag_enabled(int flag);
                enum { RTE_CPUFLAG_AVX512F = 1, RTE_CPUFLAG_MOVDIRI = 2 };
                typedef int (*burst_t)(int *, int);
                burst_t rx_burst;
                __attribute__((noinline, target("avx512f"))) static int recv_avx512(int *a, int n) {
                    __m512i s = _mm512_setzero_si512();
                    for (int i = 0; i + 16 <= n; i += 16) s = _mm512_add_epi32(s, _mm512_loadu_si512(a + i));
                    return _mm512_reduce_add_epi32(s);
                }
                __attribute__((noinline)) static int recv_scalar(int *a, int n) { int s = 0; for (int i = 0; i < n; i++) s ^= a[i]; return s; }
                void set_rx_function(void) {
                    rx_burst = rte_cpu_get_flag_enabled(RTE_CPUFLAG_AVX512F) ? recv_avx512 : recv_scalar;
                }
                __attribute__((target("movdiri"))) void doorbell(volatile unsigned *p, unsigned v) {
                    static int movdiri = -1;
                    if (movdiri < 0) movdiri = rte_cpu_get_flag_enabled(RTE_CPUFLAG_MOVDIRI);
                    if (movdiri) _directstoreu_u32((void *) p, v); else *p = v;
                }
                """;
        Path lib = Programs.gcc(tmp, "librte_net_fake.so.23", driver, "-shared", "-fPIC", "-L" + tmp, "-lrte_eal");
        for (Path file : new Path[] {lib, stripped(lib, "strip")}) {
            CpuFinding c = scan(file, "/usr/lib/x86_64-linux-gnu/dpdk/pmds-23/librte_net_fake.so.23");
            assertThat(c.supported()).as(file.toString()).contains("avx512f", "movdiri");
            assertThat(c.required()).as(file.toString()).doesNotContain("avx512f", "movdiri");
            assertThat(c.dispatch()).as(file.toString()).contains("rte_cpu_get_flag_enabled");
        }
    }
}
