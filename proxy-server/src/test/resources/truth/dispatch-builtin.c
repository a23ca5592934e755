/* Picks an AVX2 loop only when the CPU has AVX2 (__builtin_cpu_supports), as hand-dispatched code does. */
#include <stdio.h>
__attribute__((target("avx2"))) static void scale_avx2(int *a, const int *b, int n) { for (int i = 0; i < n; i++) a[i] = a[i] * b[i] + 3; }
static void scale_plain(int *a, const int *b, int n) { for (int i = 0; i < n; i++) a[i] = a[i] * b[i] + 3; }
int main(int argc, char **argv) {
    static int x[1024], y[1024];
    for (int i = 0; i < 1024; i++) { x[i] = argc + i; y[i] = i; }
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2")) scale_avx2(x, y, 1024); else scale_plain(x, y, 1024);
    printf("%d\n", x[7]);
    return 0;
}
