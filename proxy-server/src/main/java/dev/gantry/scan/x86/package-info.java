/**
 * An x86-64 instruction-length decoder that classifies each instruction by
 * the CPU feature it needs (SSE4.x, AVX, AVX2, AVX-512, …) and finds run-time
 * dispatch evidence (CPUID, XGETBV).
 */
package dev.gantry.scan.x86;
