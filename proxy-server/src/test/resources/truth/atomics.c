/* Atomic read-modify-write: inline LSE (ldadd) with -march=armv8.1-a, gcc's outline helpers (which test for LSE) by default. */
#include <stdio.h>
long counter;
int main(int argc, char **argv) {
    for (int i = 0; i < 1000; i++) __atomic_fetch_add(&counter, argc, __ATOMIC_SEQ_CST);
    printf("%ld\n", counter);
    return 0;
}
