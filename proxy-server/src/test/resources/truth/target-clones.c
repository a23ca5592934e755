/* gcc's function multi-versioning: one clone per target, chosen by an ifunc resolver at load time. */
#include <stdio.h>
__attribute__((target_clones("avx2", "sse4.2", "default")))
void scale(int *a, const int *b, int n) { for (int i = 0; i < n; i++) a[i] = a[i] * b[i] + 3; }
int main(int argc, char **argv) {
    static int x[1024], y[1024];
    for (int i = 0; i < 1024; i++) { x[i] = argc + i; y[i] = i; }
    scale(x, y, 1024);
    printf("%d\n", x[7]);
    return 0;
}
