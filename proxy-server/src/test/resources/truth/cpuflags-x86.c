/* Prints the CPU's features as /proc/cpuinfo names them, from CPUID (the host profile of a QEMU model). */
#include <cpuid.h>
#include <stdio.h>

static void bit(unsigned reg, int n, const char *name) { if (reg & (1u << n)) printf("%s\n", name); }

int main(void) {
    unsigned a, b, c, d, max;
    puts("fpu");
    __cpuid(0, max, b, c, d);
    __cpuid(1, a, b, c, d);
    bit(d, 25, "sse"); bit(d, 26, "sse2");
    bit(c, 0, "pni"); bit(c, 1, "pclmulqdq"); bit(c, 9, "ssse3"); bit(c, 12, "fma"); bit(c, 13, "cx16");
    bit(c, 19, "sse4_1"); bit(c, 20, "sse4_2"); bit(c, 22, "movbe"); bit(c, 23, "popcnt"); bit(c, 25, "aes");
    bit(c, 26, "xsave"); bit(c, 28, "avx"); bit(c, 29, "f16c"); bit(c, 30, "rdrand");
    if (max >= 7) {
        __cpuid_count(7, 0, a, b, c, d);
        bit(b, 0, "fsgsbase"); bit(b, 2, "sgx"); bit(b, 3, "bmi1"); bit(b, 5, "avx2"); bit(b, 8, "bmi2");
        bit(b, 11, "rtm"); bit(b, 16, "avx512f"); bit(b, 17, "avx512dq"); bit(b, 18, "rdseed"); bit(b, 19, "adx");
        bit(b, 21, "avx512ifma"); bit(b, 23, "clflushopt"); bit(b, 24, "clwb"); bit(b, 28, "avx512cd");
        bit(b, 29, "sha_ni"); bit(b, 30, "avx512bw"); bit(b, 31, "avx512vl");
        bit(c, 1, "avx512vbmi"); bit(c, 3, "pku"); bit(c, 5, "waitpkg"); bit(c, 6, "avx512_vbmi2"); bit(c, 8, "gfni");
        bit(c, 9, "vaes"); bit(c, 10, "vpclmulqdq"); bit(c, 11, "avx512_vnni"); bit(c, 12, "avx512_bitalg");
        bit(c, 14, "avx512_vpopcntdq"); bit(c, 22, "rdpid"); bit(c, 27, "movdiri"); bit(c, 28, "movdir64b");
        bit(c, 29, "enqcmd"); bit(d, 14, "serialize"); bit(d, 22, "amx_bf16"); bit(d, 23, "avx512_fp16");
        bit(d, 24, "amx_tile"); bit(d, 25, "amx_int8");
        __cpuid_count(7, 1, a, b, c, d);
        bit(a, 4, "avx_vnni"); bit(a, 5, "avx512_bf16");
    }
    if (max >= 13) {
        __cpuid_count(13, 1, a, b, c, d);
        bit(a, 0, "xsaveopt"); bit(a, 1, "xsavec"); bit(a, 3, "xsaves");
    }
    __cpuid(0x80000000, max, b, c, d);
    if (max >= 0x80000001) {
        __cpuid(0x80000001, a, b, c, d);
        bit(c, 0, "lahf_lm"); bit(c, 5, "abm"); bit(c, 6, "sse4a"); bit(c, 11, "xop"); bit(c, 16, "fma4");
        bit(c, 21, "tbm"); bit(d, 27, "rdtscp");
    }
    return 0;
}
