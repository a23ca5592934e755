/* An ARMv8.2 SHA3 instruction (eor3) used without asking the CPU. */
#include <arm_neon.h>
#include <stdio.h>
int main(int argc, char **argv) {
    uint64x2_t r = veor3q_u64(vdupq_n_u64(argc), vdupq_n_u64(2), vdupq_n_u64((unsigned long) argv));
    printf("%llu\n", (unsigned long long) vgetq_lane_u64(r, 0));
    return 0;
}
