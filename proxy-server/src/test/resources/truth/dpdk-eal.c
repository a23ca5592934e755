/* A DPDK application's start: Debian's librte_eal (its constructors, then rte_eal_init's CPU checks and argument parsing). */
#include <stdio.h>
int rte_eal_init(int argc, char **argv);
int main(void) {
    char *args[] = {"app", "--no-huge", "--no-pci", "--no-shconf", "--in-memory", "-m", "64", 0};
    printf("rte_eal_init: %d\n", rte_eal_init(7, args));
    return 0;
}
