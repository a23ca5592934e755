package dev.gantry.scan.x86;

/**
 * Operand-shape tables of the x86-64 one-byte and 0F opcode maps, as the
 * Intel SDM volume 2 appendix A gives them for 64-bit mode: whether a ModRM
 * byte follows and how many immediate bytes. The 0F38 map always has a ModRM
 * byte and no immediate; the 0F3A map always has a ModRM byte and one
 * immediate byte, so they need no table.
 */
final class X86Opcodes {
    static final int MODRM = 1;
    static final int IMM8 = 1 << 1;
    static final int IMM16 = 1 << 2;
    /** 16 or 32 bits by operand size (66 prefix), never 64. */
    static final int IMMZ = 1 << 3;
    /** B8+r: 16, 32 or 64 bits by operand size (REX.W gives 64). */
    static final int IMMV = 1 << 4;
    /** A0-A3: an absolute address of the address size (8 bytes, 4 with 67). */
    static final int MOFFS = 1 << 5;
    static final int PREFIX = 1 << 6;
    static final int INVALID = 1 << 7;
    /** F6/F7: an immediate only for /0 and /1 (TEST). */
    static final int GROUP3 = 1 << 8;
    /** 0F 20-23 (MOV to/from CR/DR): ModRM.mod is ignored, no SIB or displacement. */
    static final int REG_ONLY = 1 << 9;

    static final int[] ONE_BYTE = new int[256];
    static final int[] TWO_BYTE = new int[256];

    /** Fast-path entry bits: immediate size (no 66 prefix), ModRM follows, +4 immediate bytes with REX.W, validate ModRM. */
    static final int F_IMM = 0x0F;
    static final int F_IMMV = 0x10;
    static final int F_CHECK = 0x20;
    static final int F_MODRM = 0x40;
    /** Fast-path entry bit: a branch with a rel32 operand (CALL, JMP, Jcc), reported as a reference. */
    static final int F_BRANCH = 0x80;
    /**
     * Fast-path tables for instructions without legacy prefixes: -1 where the
     * full decoder must decide (prefixes, escapes, vector prefixes, opcodes
     * that carry a feature), else the {@code F_*} bits.
     */
    static final int[] FAST = new int[256];
    static final int[] FAST_0F = new int[256];
    /**
     * Bytes of ModRM, SIB and displacement by ModRM value (low 4 bits), plus
     * 0x10 when a SIB byte follows with mod 0, whose base 5 adds a disp32,
     * plus 0x20 for a RIP-relative operand (mod 0, rm 5: the disp32 follows the ModRM byte).
     * The SIB byte is the last byte counted, so the caller checks it there.
     */
    static final int[] MODRM_LENGTH = new int[256];

    static {
        int[] t = ONE_BYTE;
        for (int base = 0x00; base <= 0x38; base += 8) {
            // ALU block: op Eb,Gb / Ev,Gv / Gb,Eb / Gv,Ev / AL,Ib / eAX,Iz
            t[base] = t[base + 1] = t[base + 2] = t[base + 3] = MODRM;
            t[base + 4] = IMM8;
            t[base + 5] = IMMZ;
        }
        for (int op : new int[] {0x06, 0x07, 0x0E, 0x16, 0x17, 0x1E, 0x1F, 0x27, 0x2F, 0x37, 0x3F,
                0x60, 0x61, 0x82, 0x9A, 0xCE, 0xD4, 0xD5, 0xD6, 0xEA}) {
            t[op] = INVALID;
        }
        for (int op : new int[] {0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65, 0x66, 0x67, 0xF0, 0xF2, 0xF3}) {
            t[op] = PREFIX;
        }
        t[0x63] = MODRM;
        t[0x68] = IMMZ;
        t[0x69] = MODRM | IMMZ;
        t[0x6A] = IMM8;
        t[0x6B] = MODRM | IMM8;
        for (int op = 0x70; op <= 0x7F; op++) {
            t[op] = IMM8;
        }
        t[0x80] = MODRM | IMM8;
        t[0x81] = MODRM | IMMZ;
        t[0x83] = MODRM | IMM8;
        for (int op = 0x84; op <= 0x8F; op++) {
            t[op] = MODRM;
        }
        for (int op = 0xA0; op <= 0xA3; op++) {
            t[op] = MOFFS;
        }
        t[0xA8] = IMM8;
        t[0xA9] = IMMZ;
        for (int op = 0xB0; op <= 0xB7; op++) {
            t[op] = IMM8;
        }
        for (int op = 0xB8; op <= 0xBF; op++) {
            t[op] = IMMV;
        }
        t[0xC0] = t[0xC1] = MODRM | IMM8;
        t[0xC2] = IMM16;
        t[0xC6] = MODRM | IMM8;
        t[0xC7] = MODRM | IMMZ;
        t[0xC8] = IMM16 | IMM8;
        t[0xCA] = IMM16;
        t[0xCD] = IMM8;
        for (int op = 0xD0; op <= 0xD3; op++) {
            t[op] = MODRM;
        }
        for (int op = 0xD8; op <= 0xDF; op++) {
            t[op] = MODRM;
        }
        for (int op = 0xE0; op <= 0xE7; op++) {
            t[op] = IMM8;
        }
        t[0xE8] = t[0xE9] = IMMZ;
        t[0xEB] = IMM8;
        t[0xF6] = t[0xF7] = MODRM | GROUP3;
        t[0xFE] = t[0xFF] = MODRM;

        int[] u = TWO_BYTE;
        for (int op = 0; op < 256; op++) {
            u[op] = MODRM;
        }
        for (int op : new int[] {0x05, 0x06, 0x07, 0x08, 0x09, 0x0B, 0x0E, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35,
                0x37, 0x77, 0xA0, 0xA1, 0xA2, 0xA8, 0xA9, 0xAA}) {
            u[op] = 0;
        }
        for (int op : new int[] {0x04, 0x0A, 0x0C, 0x24, 0x25, 0x26, 0x27, 0x36, 0x39, 0x3B, 0x3C, 0x3D, 0x3E,
                0x3F, 0x7A, 0x7B, 0xA6, 0xA7}) {
            u[op] = INVALID;
        }
        for (int op = 0x20; op <= 0x23; op++) {
            u[op] = MODRM | REG_ONLY;
        }
        for (int op = 0x80; op <= 0x8F; op++) {
            u[op] = IMMZ;
        }
        for (int op = 0xC8; op <= 0xCF; op++) {
            u[op] = 0;
        }
        for (int op : new int[] {0x70, 0x71, 0x72, 0x73, 0xA4, 0xAC, 0xBA, 0xC2, 0xC4, 0xC5, 0xC6}) {
            u[op] = MODRM | IMM8;
        }
        // 0F 0F is 3DNow!: ModRM, then the real opcode as an immediate byte.
        u[0x0F] = MODRM | IMM8;

        for (int modrm = 0; modrm < 256; modrm++) {
            int mod = modrm >>> 6;
            int rm = modrm & 7;
            int len = 1;
            int flag = 0;
            if (mod != 3) {
                if (rm == 4) {
                    len++;
                    if (mod == 0) {
                        flag = 0x10;
                    }
                } else if (mod == 0 && rm == 5) {
                    len += 4;
                    flag = 0x20;
                }
                len += mod == 1 ? 1 : mod == 2 ? 4 : 0;
            }
            MODRM_LENGTH[modrm] = len | flag;
        }
        for (int op = 0; op < 256; op++) {
            FAST[op] = fast(ONE_BYTE[op]);
            FAST_0F[op] = fast(TWO_BYTE[op]);
        }
        for (int op : new int[] {0x0F, 0x62, 0x8F, 0xC4, 0xC5, 0x9E, 0x9F, 0xDB, 0xDD, 0xDF}) {
            FAST[op] = -1; // escapes, vector prefixes, and opcodes with a feature
        }
        for (int op = 0x40; op <= 0x4F; op++) {
            FAST[op] = -1; // a second REX
        }
        for (int op : new int[] {0x8D, 0xC6, 0xC7, 0xFE, 0xFF}) {
            FAST[op] |= F_CHECK; // undefined ModRM forms, XABORT/XBEGIN
        }
        FAST[0xE8] |= F_BRANCH;
        FAST[0xE9] |= F_BRANCH;
        for (int op : new int[] {0x01, 0x0F, 0x38, 0x3A, 0x78, 0xA2, 0xAE, 0xC7}) {
            FAST_0F[op] = -1; // escapes, groups with features, CPUID, SSE4a
        }
        for (int op = 0; op < 256; op++) {
            if (FAST_0F[op] >= 0 && LegacyFeatures.lookup(1, LegacyFeatures.NONE, op) != 0) {
                FAST_0F[op] = -1;
            }
        }
        for (int op = 0x80; op <= 0x8F; op++) {
            FAST_0F[op] |= F_BRANCH; // Jcc rel32
        }
    }

    private static int fast(int attr) {
        if ((attr & (PREFIX | INVALID | GROUP3 | MOFFS | REG_ONLY)) != 0) {
            return -1;
        }
        int f = (attr & MODRM) != 0 ? F_MODRM : 0;
        if ((attr & IMM8) != 0) {
            f += 1;
        }
        if ((attr & IMM16) != 0) {
            f += 2;
        }
        if ((attr & IMMZ) != 0) {
            f += 4;
        }
        if ((attr & IMMV) != 0) {
            f += 4 | F_IMMV;
        }
        return f;
    }

    private X86Opcodes() {
    }
}
