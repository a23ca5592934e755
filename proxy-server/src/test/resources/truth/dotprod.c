/* An ARMv8.2 dot-product instruction (udot) used without asking the CPU. */
#include <arm_neon.h>
#include <stdio.h>
int main(int argc, char **argv) {
    uint32x4_t r = vdotq_u32(vdupq_n_u32(argc), vdupq_n_u8(argc), vdupq_n_u8(3));
    printf("%u\n", vgetq_lane_u32(r, 0));
    return 0;
}
