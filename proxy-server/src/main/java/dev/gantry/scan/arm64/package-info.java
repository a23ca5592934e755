/**
 * AArch64 instruction classification by the CPU feature each instruction
 * needs (SVE, atomics, crypto extensions, …) and dispatch evidence (ID
 * register reads).
 */
package dev.gantry.scan.arm64;
