package dev.gantry.scan.x86;

import static dev.gantry.scan.x86.X86Feature.*;

/**
 * Which features VEX- and EVEX-encoded instructions need, by opcode map,
 * implied prefix ({@code pp}: 0 none, 1 66, 2 F3, 3 F2), opcode, vector
 * length and {@code W}, from the Intel SDM's per-instruction CPUID tables.
 *
 * <p>VEX: everything is at least AVX, except the general-purpose VEX
 * instructions (BMI1/BMI2), AMX tile instructions and AVX-512 mask
 * instructions. 256-bit integer forms are AVX2, as are gathers, permutes,
 * variable shifts and broadcasts from a register.
 * EVEX: everything is AVX512F; a 128/256-bit vector form adds AVX512VL;
 * byte/word element operations add AVX512BW, quadword conversions and
 * floating-point logic AVX512DQ, and so on. Where the SDM distinguishes by
 * W, so does this class.
 */
final class VectorFeatures {
    private VectorFeatures() {
    }

    static long vex(int map, int pp, int op, int l, boolean w, int modrm) {
        return switch (map) {
            case 1 -> vexMap1(pp, op, l, w);
            case 2 -> vexMap2(pp, op, l, modrm);
            case 3 -> vexMap3(pp, op, l, w);
            default -> AVX.bit();
        };
    }

    private static long vexMap1(int pp, int op, int l, boolean w) {
        if ((op >= 0x41 && op <= 0x4B) || (op >= 0x90 && op <= 0x93) || op == 0x98 || op == 0x99) {
            return maskRegister(op, pp, w);
        }
        if (l == 1 && (pp == 1 && isInteger256(op) || op == 0x70)) {
            return AVX2.bit();
        }
        return AVX.bit();
    }

    /** 66-prefixed 0F-map integer operations that AVX2 extended to 256 bits. */
    private static boolean isInteger256(int op) {
        return (op >= 0x60 && op <= 0x6D) || (op >= 0x70 && op <= 0x76)
                || (op >= 0xD1 && op <= 0xD5) || (op >= 0xD7 && op <= 0xDF)
                || (op >= 0xE0 && op <= 0xE5) || (op >= 0xE8 && op <= 0xEF)
                || (op >= 0xF1 && op <= 0xF6) || (op >= 0xF8 && op <= 0xFE);
    }

    private static long vexMap2(int pp, int op, int l, int modrm) {
        switch (op) {
            case 0xF2: return pp == 0 ? BMI1.bit() : AVX.bit();
            case 0xF3: return pp == 0 ? BMI1.bit() : AVX.bit();
            case 0xF5: return pp == 1 ? AVX.bit() : BMI2.bit();
            case 0xF6: return pp == 3 ? BMI2.bit() : AVX.bit();
            case 0xF7: return pp == 0 ? BMI1.bit() : BMI2.bit();
            case 0x49, 0x4B: return AMX_TILE.bit();
            case 0x5C: return pp == 2 ? AMX_BF16.bit() | AMX_TILE.bit() : AMX_TILE.bit();
            case 0x5E: return AMX_INT8.bit() | AMX_TILE.bit();
            default: break;
        }
        if (pp != 1) {
            return AVX.bit();
        }
        if (op == 0x13) {
            return F16C.bit();
        }
        if ((op >= 0x96 && op <= 0x9F) || (op >= 0xA6 && op <= 0xAF) || (op >= 0xB6 && op <= 0xBF)) {
            return FMA.bit();
        }
        if (op >= 0xDB && op <= 0xDF) {
            return AVX.bit() | (l == 1 ? VAES.bit() : AES.bit());
        }
        if (op >= 0x50 && op <= 0x53) {
            return AVX_VNNI.bit();
        }
        if (op == 0xCF) {
            return AVX.bit() | GFNI.bit();
        }
        switch (op) {
            case 0x16, 0x36, 0x45, 0x46, 0x47, 0x58, 0x59, 0x5A, 0x78, 0x79, 0x8C, 0x8E, 0x90, 0x91, 0x92, 0x93:
                return AVX2.bit();
            case 0x18, 0x19:
                return (modrm >>> 6) == 3 ? AVX2.bit() : AVX.bit();
            default:
                break;
        }
        boolean integer = (op <= 0x0B) || (op >= 0x1C && op <= 0x1E) || (op >= 0x20 && op <= 0x25)
                || (op >= 0x28 && op <= 0x2B) || (op >= 0x30 && op <= 0x35) || (op >= 0x37 && op <= 0x40);
        return l == 1 && integer ? AVX2.bit() : AVX.bit();
    }

    private static long vexMap3(int pp, int op, int l, boolean w) {
        if (op == 0xF0 && pp == 3) {
            return BMI2.bit();
        }
        if (op >= 0x30 && op <= 0x33) {
            return maskShift(op, w);
        }
        if (pp != 1) {
            return AVX.bit();
        }
        switch (op) {
            case 0x00, 0x01, 0x02, 0x38, 0x39, 0x46: return AVX2.bit();
            case 0x0E, 0x0F, 0x42: return l == 1 ? AVX2.bit() : AVX.bit();
            case 0x1D: return F16C.bit();
            case 0x44: return AVX.bit() | (l == 1 ? VPCLMULQDQ.bit() : PCLMULQDQ.bit());
            case 0xDF: return AVX.bit() | AES.bit();
            case 0xCE, 0xCF: return AVX.bit() | GFNI.bit();
            case 0x48, 0x49: return XOP.bit();
            default: break;
        }
        if ((op >= 0x5C && op <= 0x5F) || (op >= 0x68 && op <= 0x6F) || (op >= 0x78 && op <= 0x7F)) {
            return FMA4.bit();
        }
        return AVX.bit();
    }

    /** VEX-encoded AVX-512 mask-register instructions: width b/w/d/q from pp and W. */
    private static long maskRegister(int op, int pp, boolean w) {
        long f = AVX512F.bit();
        if (op == 0x92 || op == 0x93) {
            return switch (pp) {
                case 1 -> f | AVX512DQ.bit();
                case 3 -> f | AVX512BW.bit();
                default -> f;
            };
        }
        if (op == 0x4B) { // kunpckbw (66 W0) is AVX512F; kunpckwd/dq are BW
            return pp == 1 ? f : f | AVX512BW.bit();
        }
        boolean wordOrByte = !w;
        if (pp == 0 && wordOrByte) { // ...w forms
            return op == 0x4A || op == 0x99 ? f | AVX512DQ.bit() : f;
        }
        if (pp == 1 && wordOrByte) { // ...b forms
            return f | AVX512DQ.bit();
        }
        return f | AVX512BW.bit(); // ...d and ...q forms
    }

    private static long maskShift(int op, boolean w) {
        long f = AVX512F.bit();
        return switch (op) {
            case 0x30, 0x32 -> w ? f : f | AVX512DQ.bit();
            default -> f | AVX512BW.bit();
        };
    }

    static long evex(int map, int pp, int op, int ll, boolean w, boolean b, int modrm) {
        int mod = modrm >>> 6;
        long f = AVX512F.bit();
        if (map == 5 || map == 6 || (map == 3 && pp == 0)) {
            f |= AVX512_FP16.bit();
        } else if (map == 1) {
            f |= evexMap1(pp, op, w, modrm);
        } else if (map == 2) {
            f |= evexMap2(pp, op, w);
        } else if (map == 3) {
            f |= evexMap3(op, w);
        }
        boolean rounding = b && mod == 3;
        if (ll != 2 && !rounding && !isScalar(map, pp, op)) {
            f |= AVX512VL.bit();
        }
        return f;
    }

    private static long evexMap1(int pp, int op, boolean w, int modrm) {
        switch (pp) {
            case 1:
                switch (op) {
                    case 0x60, 0x61, 0x63, 0x64, 0x65, 0x67, 0x68, 0x69, 0x6B, 0x71, 0x74, 0x75, 0xC4, 0xC5,
                            0xD1, 0xD5, 0xD8, 0xD9, 0xDA, 0xDC, 0xDD, 0xDE, 0xE0, 0xE1, 0xE3, 0xE4, 0xE5,
                            0xE8, 0xE9, 0xEA, 0xEC, 0xED, 0xEE, 0xF1, 0xF5, 0xF6, 0xF8, 0xF9, 0xFC, 0xFD:
                        return AVX512BW.bit();
                    case 0x73:
                        int reg = (modrm >>> 3) & 7;
                        return reg == 3 || reg == 7 ? AVX512BW.bit() : 0;
                    case 0x54, 0x55, 0x56, 0x57, 0x78, 0x79, 0x7A, 0x7B:
                        return AVX512DQ.bit();
                    default:
                        return 0;
                }
            case 0:
                return op >= 0x54 && op <= 0x57 || (op == 0x5B && w) ? AVX512DQ.bit() : 0;
            case 2:
                return (op == 0xE6 || op == 0x7A) && w ? AVX512DQ.bit() : 0;
            default:
                if (op == 0x6F || op == 0x7F) {
                    return AVX512BW.bit();
                }
                return op == 0x7A && w ? AVX512DQ.bit() : 0;
        }
    }

    private static long evexMap2(int pp, int op, boolean w) {
        if (pp == 2) {
            return switch (op) {
                case 0x10, 0x20, 0x30, 0x26, 0x28, 0x29 -> AVX512BW.bit();
                case 0x38, 0x39 -> AVX512DQ.bit();
                case 0x2A, 0x3A -> AVX512CD.bit();
                case 0x52, 0x72 -> AVX512_BF16.bit();
                default -> 0;
            };
        }
        if (pp == 3) {
            return op == 0x72 ? AVX512_BF16.bit() : 0;
        }
        if (pp != 1) {
            return 0;
        }
        return switch (op) {
            case 0x00, 0x04, 0x0B, 0x1C, 0x1D, 0x20, 0x30, 0x10, 0x11, 0x12, 0x26, 0x2B, 0x38, 0x3A, 0x3C,
                    0x3E, 0x66, 0x78, 0x79, 0x7A, 0x7B -> AVX512BW.bit();
            case 0x8D, 0x75, 0x7D -> w ? AVX512BW.bit() : AVX512VBMI.bit();
            case 0x40 -> w ? AVX512DQ.bit() : 0;
            case 0x19, 0x1B, 0x59, 0x5B -> w ? 0 : AVX512DQ.bit();
            case 0x1A, 0x5A -> w ? AVX512DQ.bit() : 0;
            case 0xC4, 0x44 -> AVX512CD.bit();
            case 0x50, 0x51, 0x52, 0x53 -> AVX512_VNNI.bit();
            case 0x54, 0x8F -> AVX512_BITALG.bit();
            case 0x55 -> AVX512_VPOPCNTDQ.bit();
            case 0x62, 0x63, 0x70, 0x71, 0x72, 0x73 -> AVX512_VBMI2.bit();
            case 0x83 -> AVX512VBMI.bit();
            case 0xB4, 0xB5 -> AVX512IFMA.bit();
            case 0xCF -> GFNI.bit();
            case 0xDC, 0xDD, 0xDE, 0xDF -> VAES.bit();
            default -> 0;
        };
    }

    private static long evexMap3(int op, boolean w) {
        return switch (op) {
            case 0x0F, 0x14, 0x15, 0x20, 0x3E, 0x3F, 0x42 -> AVX512BW.bit();
            case 0x16, 0x22, 0x50, 0x51, 0x56, 0x57, 0x66, 0x67 -> AVX512DQ.bit();
            case 0x18, 0x19, 0x38, 0x39 -> w ? AVX512DQ.bit() : 0;
            case 0x1A, 0x1B, 0x3A, 0x3B -> w ? 0 : AVX512DQ.bit();
            case 0x70, 0x71, 0x72, 0x73 -> AVX512_VBMI2.bit();
            case 0xCE, 0xCF -> GFNI.bit();
            case 0x44 -> VPCLMULQDQ.bit();
            default -> 0;
        };
    }

    /** Scalar and fixed-128-bit EVEX forms, whose vector length is not a choice and so never needs VL. */
    private static boolean isScalar(int map, int pp, int op) {
        if (map == 1) {
            if (pp >= 2) {
                return switch (op) {
                    case 0x10, 0x11, 0x2A, 0x2C, 0x2D, 0x51, 0x58, 0x59, 0x5A, 0x5C, 0x5D, 0x5E, 0x5F, 0x78,
                            0x79, 0x7B, 0xC2 -> true;
                    case 0x7E -> pp == 2;
                    default -> false;
                };
            }
            return op == 0x2E || op == 0x2F || (pp == 1 && (op == 0x6E || op == 0x7E || op == 0xD6
                    || op == 0xC4 || op == 0xC5));
        }
        if (map == 2) {
            return switch (op) {
                case 0x2D, 0x43, 0x4D, 0x4F, 0x99, 0x9B, 0x9D, 0x9F, 0xA9, 0xAB, 0xAD, 0xAF, 0xB9, 0xBB,
                        0xBD, 0xBF, 0xCB, 0xCD -> true;
                default -> false;
            };
        }
        if (map == 3) {
            return switch (op) {
                case 0x0A, 0x0B, 0x14, 0x15, 0x16, 0x17, 0x20, 0x21, 0x22, 0x27, 0x51, 0x55, 0x57, 0x67 -> true;
                default -> false;
            };
        }
        return false;
    }
}
