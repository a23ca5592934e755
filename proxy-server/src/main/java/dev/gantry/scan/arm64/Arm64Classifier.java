package dev.gantry.scan.arm64;

import static dev.gantry.scan.arm64.Arm64Feature.*;

/**
 * Classifies AArch64 instruction words (fixed 32 bits, so no sync problem)
 * by the optional architecture feature each needs, from the encoding tables
 * of the Arm Architecture Reference Manual; reads of the {@code ID_AA64*}
 * identification registers ({@code MRS Xt, ID_AA64ISAR0_EL1} and friends) are
 * reported as dispatch evidence. Stateless and thread-safe.
 */
public final class Arm64Classifier {
    private Arm64Classifier() {
    }

    /** The features {@code insn} needs, as an {@link Arm64Feature} bit mask (0 for baseline ARMv8.0). */
    public static long classify(int insn) {
        int op1 = (insn >>> 25) & 0xF;
        if (op1 == 0b0010) {
            return sve(insn);
        }
        if (op1 == 0b0000) {
            return (insn >>> 31) != 0 ? SME.bit() : 0;
        }
        if ((op1 & 0b0101) == 0b0100) {
            return loadStore(insn);
        }
        if ((op1 & 0b0111) == 0b0101) {
            return dataProcessingRegister(insn);
        }
        if ((op1 & 0b0111) == 0b0111) {
            return simdAndFp(insn);
        }
        if ((op1 & 0b1110) == 0b1010) {
            return system(insn);
        }
        return 0;
    }

    /** Whether {@code insn} is {@code MRS} of an identification register (op0=3, op1=0, CRn=0): CPU feature probing. */
    public static boolean readsIdRegister(int insn) {
        return (insn & 0xFFFFF000) == 0xD5380000;
    }

    private static long sve(int insn) {
        // SVE2 lives mostly under the 0x44/0x45 top bytes (multiply-add long,
        // widening, narrowing, complex, crypto), where SVE1 has only the dot
        // products; plus the unpredicated multiplies and bitwise ternary ops.
        int top = insn >>> 24;
        boolean sve2;
        if (top == 0x45) {
            sve2 = (insn & 0xFF00F800) != 0x45009800; // SMMLA/UMMLA/USMMLA (z) are SVE + I8MM
        } else if (top == 0x44) {
            boolean sve1Dot = (insn & 0xFFA0F800) == 0x44800000 || (insn & 0xFFA0F000) == 0x44A00000
                    || (insn & 0xFFE0F000) == 0x44E00000;
            sve2 = !sve1Dot;
        } else {
            sve2 = (insn & 0xFF20E000) == 0x04206000 || (insn & 0xFF20FC00) == 0x04203800;
        }
        return sve2 ? SVE.bit() | SVE2.bit() : SVE.bit();
    }

    private static long loadStore(int insn) {
        // Atomic memory operations: size 111 0 00 A R 1 Rs o3 opc 00 Rn Rt
        if ((insn & 0x3F200C00) == 0x38200000) {
            int o3 = (insn >>> 15) & 1;
            int opc = (insn >>> 12) & 7;
            if (o3 == 0 || opc == 0) {
                return ATOMICS.bit(); // LDADD..LDUMIN, SWP
            }
            if (opc == 0b100 && ((insn >>> 16) & 0x1F) == 0x1F) {
                return LRCPC.bit(); // LDAPR
            }
            return 0;
        }
        // CAS, CASP
        if ((insn & 0x3FA07C00) == 0x08A07C00 || (insn & 0xBFA07C00) == 0x08207C00) {
            return ATOMICS.bit();
        }
        return 0;
    }

    private static long dataProcessingRegister(int insn) {
        if ((insn & 0x7FE0E000) == 0x1AC04000) {
            return CRC32.bit();
        }
        return 0;
    }

    private static long system(int insn) {
        if ((insn & 0xFFFFFFC0) == 0xD53B2400) {
            return RNG.bit(); // MRS RNDR / RNDRRS
        }
        if (insn == 0xD500401F) {
            return FLAGM.bit(); // CFINV
        }
        if ((insn & 0xFFFFF0FF) == 0xD503407F && ((insn >>> 9) & 3) != 0) {
            return SME.bit(); // SMSTART / SMSTOP (MSR SVCRSM/SVCRZA/SVCRSMZA, #imm)
        }
        return 0;
    }

    private static long simdAndFp(int insn) {
        // Cryptographic extension
        if ((insn & 0xFFFFCC00) == 0x4E284800) {
            return AES.bit();
        }
        if ((insn & 0xFFE08C00) == 0x5E000000) {
            return ((insn >>> 12) & 7) <= 3 ? SHA1.bit() : SHA2.bit();
        }
        int two = insn & 0xFFFFFC00;
        if (two == 0x5E280800 || two == 0x5E281800) {
            return SHA1.bit();
        }
        if (two == 0x5E282800) {
            return SHA2.bit();
        }
        int three = insn & 0xFFE0FC00;
        if (three == 0xCE608000 || three == 0xCE608400 || three == 0xCE608800 || two == 0xCEC08000) {
            return SHA512.bit();
        }
        if (three == 0xCE608C00 || (insn & 0xFFE08000) == 0xCE000000 || (insn & 0xFFE08000) == 0xCE200000
                || (insn & 0xFFE00000) == 0xCE800000) {
            return SHA3.bit(); // RAX1, EOR3, BCAX, XAR
        }
        if (two == 0xCEC08400 || three == 0xCE60C800) {
            return SM4.bit();
        }
        if (three == 0xCE60C000 || three == 0xCE60C400 || (insn & 0xFFE08000) == 0xCE400000
                || (insn & 0xFFE0C000) == 0xCE408000) {
            return SM3.bit();
        }
        if ((insn & 0xBFE0FC00) == 0x0EE0E000) {
            return PMULL.bit(); // PMULL{2} .1q
        }
        // Dot products and matrix multiplies
        if ((insn & 0xBFE0FC00) == 0x0E809C00 || (insn & 0xBFC0F400) == 0x0F00F000
                || (insn & 0xBFC0F400) == 0x0F80F000 || three == 0x4E80A400 || three == 0x6E80A400
                || three == 0x4E80AC00) {
            return I8MM.bit(); // USDOT, SUDOT/USDOT (element), SMMLA, UMMLA, USMMLA
        }
        if ((insn & 0x9FE0FC00) == 0x0E809400 || (insn & 0x9FC0F400) == 0x0F80E000) {
            return ASIMDDP.bit(); // SDOT/UDOT vector and element
        }
        if ((insn & 0xBFE0FC00) == 0x2E40FC00 || (insn & 0xBFC0F400) == 0x0F40F000 || three == 0x6E40EC00
                || (insn & 0xBFE0FC00) == 0x2EC0FC00 || (insn & 0xBFC0F400) == 0x0FC0F000
                || two == 0x1E634000 || (insn & 0xBFFFFC00) == 0x0EA16800) {
            return BF16.bit();
        }
        if ((insn & 0xBF20FC00) == 0x2E008400 || (insn & 0xBF20FC00) == 0x2E008C00
                || (insn & 0xBF00F400) == 0x2F00D000 || (insn & 0xBF00F400) == 0x2F00F000
                || (insn & 0xFF20F400) == 0x7E008400) {
            return ASIMDRDM.bit(); // SQRDMLAH/SQRDMLSH
        }
        if ((insn & 0xBF20E400) == 0x2E00C400 || (insn & 0xBF20EC00) == 0x2E00E400
                || (insn & 0xBF009400) == 0x2F001000) {
            return FCMA.bit(); // FCMLA, FCADD
        }
        if (two == 0x1E7E0000) {
            return JSCVT.bit();
        }
        return halfPrecision(insn);
    }

    private static long halfPrecision(int insn) {
        // Scalar FP with ftype=11 (half), except FCVT from half, which ARMv8.0 has.
        if ((insn & 0x7FE00000) == 0x1EE00000 || (insn & 0xFFC00000) == 0x1FC00000) {
            boolean fcvtFromHalf = (insn & 0xFFFE7C00) == 0x1EE24000;
            return fcvtFromHalf ? 0 : FPHP.bit();
        }
        // Advanced SIMD three-same FP16, two-register misc FP16, FP16 by element
        if ((insn & 0x9F60C400) == 0x0E400400 || (insn & 0x9F7E0C00) == 0x0E780800
                || (insn & 0xBFC0F400) == 0x0F001000 || (insn & 0xBFC0F400) == 0x0F005000) {
            return ASIMDHP.bit();
        }
        return 0;
    }
}
