#include <asm/hwcap.h>
#include <stdio.h>
#include <sys/auxv.h>
void sve_scale(int *a, const int *b, int n);
unsigned long sha3_mix(unsigned long x);
unsigned dot(unsigned x);
void lse_add(long *p, long v);
static long counter;
int main(int argc, char **argv) {
    static int x[1024], y[1024];
    unsigned long hw = getauxval(AT_HWCAP), r = 0;
    for (int i = 0; i < 1024; i++) { x[i] = argc + i; y[i] = i; }
    if (hw & HWCAP_SVE) sve_scale(x, y, 1024); else for (int i = 0; i < 1024; i++) x[i] = x[i] * y[i] + 3;
    if (hw & HWCAP_SHA3) r += sha3_mix(argc);
    if (hw & HWCAP_ASIMDDP) r += dot(argc);
    if (hw & HWCAP_ATOMICS) lse_add(&counter, argc); else counter += argc;
    printf("%d %lu %ld\n", x[7], r, counter);
    return 0;
}
