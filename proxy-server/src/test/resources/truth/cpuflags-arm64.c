/* Prints the CPU's features as arm64 /proc/cpuinfo names them, from the kernel's (here QEMU's) AT_HWCAP words. */
#include <stdio.h>
#include <sys/auxv.h>

static const char *hwcap[32] = {"fp", "asimd", "evtstrm", "aes", "pmull", "sha1", "sha2", "crc32", "atomics", "fphp",
    "asimdhp", "cpuid", "asimdrdm", "jscvt", "fcma", "lrcpc", "dcpop", "sha3", "sm3", "sm4", "asimddp", "sha512", "sve",
    "asimdfhm", "dit", "uscat", "ilrcpc", "flagm", "ssbs", "sb", "paca", "pacg"};
static const char *hwcap2[24] = {"dcpodp", "sve2", "sveaes", "svepmull", "svebitperm", "svesha3", "svesm4", "flagm2",
    "frint", "svei8mm", "svef32mm", "svef64mm", "svebf16", "i8mm", "bf16", "dgh", "rng", "bti", "mte", "ecv", "afp",
    "rpres", "mte3", "sme"};

int main(void) {
    unsigned long h = getauxval(AT_HWCAP), h2 = getauxval(AT_HWCAP2);
    for (int i = 0; i < 32; i++) if (h & (1ul << i)) puts(hwcap[i]);
    for (int i = 0; i < 24; i++) if (h2 & (1ul << i)) puts(hwcap2[i]);
    return 0;
}
