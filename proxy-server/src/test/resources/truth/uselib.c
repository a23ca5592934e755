#include <stdio.h>
void vec_scale(int *a, const int *b, int n);
int main(int argc, char **argv) {
    static int x[1024], y[1024];
    for (int i = 0; i < 1024; i++) { x[i] = argc + i; y[i] = i; }
    vec_scale(x, y, 1024);
    printf("%d\n", x[7]);
    return 0;
}
