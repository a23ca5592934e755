package dev.gantry.scan.x86;

import static dev.gantry.scan.x86.X86Opcodes.GROUP3;
import static dev.gantry.scan.x86.X86Opcodes.IMM16;
import static dev.gantry.scan.x86.X86Opcodes.IMM8;
import static dev.gantry.scan.x86.X86Opcodes.IMMV;
import static dev.gantry.scan.x86.X86Opcodes.IMMZ;
import static dev.gantry.scan.x86.X86Opcodes.MOFFS;

/**
 * The operand side of {@link X86Decoder}: how long an instruction's ModRM,
 * SIB, displacement and immediate are, and which ModRM forms of the one-byte
 * map are undefined. Pure functions of the bytes and the prefixes seen.
 */
final class X86Operands {

    private X86Operands() {
    }

    /** VEX/EVEX 0F-map opcodes that take an immediate byte (shuffles, shifts by immediate, compares, inserts). */
    static boolean hasImm8Map1(int op) {
        return (op >= 0x70 && op <= 0x73) || op == 0xC2 || op == 0xC4 || op == 0xC5 || op == 0xC6;
    }

    /** ModRM + SIB + displacement length starting at the ModRM byte, or -1 when it runs past {@code limit}. */
    static int modrmLength(byte[] code, int p, int limit) {
        int modrm = code[p] & 0xFF;
        int mod = modrm >>> 6;
        if (mod == 3) {
            return 1;
        }
        int len = 1;
        int rm = modrm & 7;
        if (rm == 4) {
            if (p + 1 >= limit) {
                return -1;
            }
            len = 2;
            if (mod == 0 && (code[p + 1] & 7) == 5) {
                len += 4;
            }
        } else if (mod == 0 && rm == 5) {
            len += 4; // RIP-relative
        }
        if (mod == 1) {
            len += 1;
        } else if (mod == 2) {
            len += 4;
        }
        return len;
    }

    static int immediateSize(int attr, int opcode, int modrm, boolean has66, boolean has67, boolean rexW) {
        int size = 0;
        if ((attr & IMM8) != 0) {
            size += 1;
        }
        if ((attr & IMM16) != 0) {
            size += 2;
        }
        if ((attr & IMMZ) != 0) {
            size += has66 && !rexW ? 2 : 4;
        }
        if ((attr & IMMV) != 0) {
            size += rexW ? 8 : has66 ? 2 : 4;
        }
        if ((attr & MOFFS) != 0) {
            size += has67 ? 4 : 8;
        }
        if ((attr & GROUP3) != 0 && ((modrm >>> 3) & 7) <= 1) {
            size += opcode == 0xF6 ? 1 : has66 && !rexW ? 2 : 4;
        }
        return size;
    }

    /**
     * {@link #UNDEFINED} row of each one-byte-map opcode: one per opcode {@link #isUndefinedGroupMember}
     * knows, row 0 for the rest.
     */
    static final byte[] CHECK_ROW = new byte[256];
    /**
     * Whether opcode row {@code CHECK_ROW[op]} with ModRM {@code m} ({@code CHECK_ROW[op] << 8 | m})
     * must leave the scanner's fast path: an undefined form, or {@code modrm == 0xF8} (XABORT/XBEGIN
     * on C6/C7). One load instead of a switch per LEA, CALL/JMP/PUSH through memory or MOV immediate.
     */
    static final boolean[] UNDEFINED;

    static {
        int[] ops = {0xC6, 0xC7, 0x8D, 0xFE, 0xFF};
        UNDEFINED = new boolean[(ops.length + 1) * 256];
        for (int r = 0; r < ops.length; r++) {
            CHECK_ROW[ops[r]] = (byte) (r + 1);
        }
        for (int op = 0; op < 256; op++) {
            int row = CHECK_ROW[op];
            if (row == 0 && op != 0) {
                continue; // row 0 is shared by the opcodes the switch does not name
            }
            for (int m = 0; m < 256; m++) {
                UNDEFINED[row << 8 | m] = m == 0xF8 || isUndefinedGroupMember(op, m);
            }
        }
    }

    /**
     * One-byte-map ModRM forms the SDM leaves undefined: C6/C7 other than /0
     * and the XABORT/XBEGIN encodings, LEA and 8F POP with a register operand,
     * FE /2-/7 and FF /7.
     */
    static boolean isUndefinedGroupMember(int opcode, int modrm) {
        int reg = (modrm >>> 3) & 7;
        boolean register = (modrm >>> 6) == 3;
        return switch (opcode) {
            case 0xC6, 0xC7 -> reg != 0 && modrm != 0xF8;
            case 0x8D -> register;
            case 0xFE -> reg >= 2;
            case 0xFF -> reg == 7;
            default -> false;
        };
    }
}
