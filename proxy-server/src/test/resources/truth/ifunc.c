/* A hand-written GNU ifunc: the resolver asks the CPU once, the dynamic linker binds the chosen variant. */
#include <stdio.h>
typedef void scale_fn(int *, const int *, int);
__attribute__((target("avx2"))) static void scale_avx2(int *a, const int *b, int n) { for (int i = 0; i < n; i++) a[i] = a[i] * b[i] + 3; }
static void scale_plain(int *a, const int *b, int n) { for (int i = 0; i < n; i++) a[i] = a[i] * b[i] + 3; }
static scale_fn *resolve_scale(void) { __builtin_cpu_init(); return __builtin_cpu_supports("avx2") ? scale_avx2 : scale_plain; }
void scale(int *a, const int *b, int n) __attribute__((ifunc("resolve_scale")));
int main(int argc, char **argv) {
    static int x[1024], y[1024];
    for (int i = 0; i < 1024; i++) { x[i] = argc + i; y[i] = i; }
    scale(x, y, 1024);
    printf("%d\n", x[7]);
    return 0;
}
