package dev.gantry.scan.x86;

import static dev.gantry.scan.x86.X86Feature.*;

/**
 * Which non-baseline feature a legacy-encoded (not VEX/EVEX) instruction of
 * the 0F, 0F38 and 0F3A maps needs, by mandatory prefix (none, 66, F3, F2)
 * and opcode, from the Intel SDM and AMD APM instruction references.
 * Instructions that x86-64 always has (SSE, SSE2, CMOV, CMPXCHG8B...) map to nothing.
 *
 * <p>Deliberately not findings: {@code F3 0F BC} (TZCNT), which compilers
 * emit for {@code __builtin_ctz} precisely because CPUs without BMI1 execute
 * it as BSF; the CET and hint encodings ({@code endbr64}, {@code rdssp},
 * prefetches), which are NOPs on older CPUs; and privileged instructions.
 */
final class LegacyFeatures {
    /** Table value meaning "decide from ModRM" (group opcodes). */
    static final byte BY_MODRM = -1;

    /** [map 1..3 -> 0..2][prefix class * 256 + opcode] = feature ordinal + 1, 0, or BY_MODRM. */
    private static final byte[][] TABLE = new byte[3][4 * 256];

    static final int NONE = 0;
    static final int P66 = 1;
    static final int PF3 = 2;
    static final int PF2 = 3;

    static {
        // 0F map
        set(1, NONE, BY_MODRM, 0x01, 0xAE, 0xC7);
        set(1, P66, BY_MODRM, 0x01, 0xAE, 0xC7);
        set(1, PF3, BY_MODRM, 0x01, 0xAE, 0xC7);
        set(1, PF2, BY_MODRM, 0x01, 0xAE, 0xC7);
        set(1, P66, PNI, 0xD0, 0x7C, 0x7D);
        set(1, PF2, PNI, 0xD0, 0x7C, 0x7D, 0x12, 0xF0);
        set(1, PF3, PNI, 0x12, 0x16);
        set(1, PF3, POPCNT, 0xB8);
        set(1, PF3, ABM, 0xBD);
        set(1, P66, SSE4A, 0x78, 0x79);
        set(1, PF2, SSE4A, 0x78, 0x79, 0x2B);
        set(1, PF3, SSE4A, 0x2B);
        // 0F38 map
        for (int pc : new int[] {NONE, P66}) {
            set(2, pc, SSSE3, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B,
                    0x1C, 0x1D, 0x1E);
            set(2, pc, MOVBE, 0xF0, 0xF1);
        }
        set(2, P66, SSE4_1, 0x10, 0x14, 0x15, 0x17, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x28, 0x29, 0x2A,
                0x2B, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x38, 0x39, 0x3A, 0x3B, 0x3C, 0x3D, 0x3E, 0x3F,
                0x40, 0x41);
        set(2, P66, SSE4_2, 0x37);
        set(2, PF2, SSE4_2, 0xF0, 0xF1);
        set(2, P66, AES, 0xDB, 0xDC, 0xDD, 0xDE, 0xDF);
        set(2, NONE, SHA_NI, 0xC8, 0xC9, 0xCA, 0xCB, 0xCC, 0xCD);
        set(2, P66, ADX, 0xF6);
        set(2, PF3, ADX, 0xF6);
        set(2, P66, GFNI, 0xCF);
        set(2, NONE, MOVDIRI, 0xF9);
        set(2, P66, MOVDIR64B, 0xF8);
        set(2, PF2, ENQCMD, 0xF8);
        set(2, PF3, ENQCMD, 0xF8);
        // 0F3A map
        set(3, NONE, SSSE3, 0x0F);
        set(3, P66, SSSE3, 0x0F);
        set(3, P66, SSE4_1, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x14, 0x15, 0x16, 0x17, 0x20, 0x21,
                0x22, 0x40, 0x41, 0x42);
        set(3, P66, SSE4_2, 0x60, 0x61, 0x62, 0x63);
        set(3, P66, PCLMULQDQ, 0x44);
        set(3, P66, AES, 0xDF);
        set(3, NONE, SHA_NI, 0xCC);
        set(3, P66, GFNI, 0xCE, 0xCF);
    }

    private LegacyFeatures() {
    }

    private static void set(int map, int prefixClass, X86Feature feature, int... opcodes) {
        set(map, prefixClass, (byte) (feature.ordinal() + 1), opcodes);
    }

    private static void set(int map, int prefixClass, byte value, int... opcodes) {
        for (int op : opcodes) {
            TABLE[map - 1][prefixClass * 256 + op] = value;
        }
    }

    /** The table value for an instruction: 0 for none, a feature ordinal + 1, or {@link #BY_MODRM}. */
    static byte lookup(int map, int prefixClass, int opcode) {
        return TABLE[map - 1][prefixClass * 256 + opcode];
    }

    /**
     * The feature mask of a group opcode of the 0F map (01, AE, C7), decided by
     * ModRM. Dispatch evidence (XGETBV) is not a feature: see {@link #isXgetbv}.
     */
    static long group(int opcode, int prefixClass, int modrm, boolean rexW) {
        int mod = modrm >>> 6;
        int reg = (modrm >>> 3) & 7;
        switch (opcode) {
            case 0x01:
                return group7(prefixClass, modrm);
            case 0xAE:
                if (mod != 3) {
                    if (prefixClass == NONE) {
                        return switch (reg) {
                            case 4, 5 -> XSAVE.bit();
                            case 6 -> XSAVEOPT.bit();
                            default -> 0;
                        };
                    }
                    if (prefixClass == P66) {
                        return reg == 6 ? CLWB.bit() : reg == 7 ? CLFLUSHOPT.bit() : 0;
                    }
                    return 0;
                }
                if (prefixClass == PF3 && reg <= 3) {
                    return FSGSBASE.bit();
                }
                return reg == 6 && prefixClass != NONE ? WAITPKG.bit() : 0;
            case 0xC7:
                if (mod != 3) {
                    return switch (reg) {
                        case 1 -> rexW ? CX16.bit() : 0;
                        case 3, 5 -> XSAVES.bit();
                        case 4 -> XSAVEC.bit();
                        default -> 0;
                    };
                }
                if (reg == 6 && prefixClass == NONE) {
                    return RDRAND.bit();
                }
                if (reg == 7) {
                    return prefixClass == PF3 ? RDPID.bit() : prefixClass == NONE ? RDSEED.bit() : 0;
                }
                return 0;
            default:
                return 0;
        }
    }

    private static long group7(int prefixClass, int modrm) {
        if (prefixClass == P66) {
            return modrm == 0xCC ? TDX_GUEST.bit() : 0;
        }
        if (prefixClass != NONE) {
            return 0;
        }
        return switch (modrm) {
            case 0xC0, 0xCF, 0xD7 -> SGX.bit(); // ENCLV, ENCLS, ENCLU
            case 0xD5, 0xD6 -> RTM.bit(); // XEND, XTEST
            case 0xE8 -> SERIALIZE.bit();
            case 0xEE, 0xEF -> PKU.bit(); // RDPKRU, WRPKRU
            case 0xF9 -> RDTSCP.bit();
            default -> 0;
        };
    }

    /** Whether 0F 01 with this ModRM byte is XGETBV, which only CPU dispatch code uses in user space. */
    static boolean isXgetbv(int prefixClass, int modrm) {
        return prefixClass == NONE && modrm == 0xD0;
    }
}
