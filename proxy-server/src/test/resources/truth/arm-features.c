/* Code built for SVE, SHA3, dot product and LSE atomics; arm-guarded.c calls each only when AT_HWCAP has it. */
#include <arm_neon.h>
void sve_scale(int *a, const int *b, int n) { for (int i = 0; i < n; i++) a[i] = a[i] * b[i] + 3; }
unsigned long sha3_mix(unsigned long x) { return vgetq_lane_u64(veor3q_u64(vdupq_n_u64(x), vdupq_n_u64(2), vdupq_n_u64(x >> 3)), 0); }
unsigned dot(unsigned x) { return vgetq_lane_u32(vdotq_u32(vdupq_n_u32(x), vdupq_n_u8(x), vdupq_n_u8(3)), 0); }
void lse_add(long *p, long v) { __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); }
