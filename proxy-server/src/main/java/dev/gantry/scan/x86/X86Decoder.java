package dev.gantry.scan.x86;

import static dev.gantry.scan.x86.X86Opcodes.IMM16;
import static dev.gantry.scan.x86.X86Opcodes.IMM8;
import static dev.gantry.scan.x86.X86Opcodes.IMMV;
import static dev.gantry.scan.x86.X86Opcodes.IMMZ;
import static dev.gantry.scan.x86.X86Opcodes.INVALID;
import static dev.gantry.scan.x86.X86Opcodes.MODRM;
import static dev.gantry.scan.x86.X86Opcodes.ONE_BYTE;
import static dev.gantry.scan.x86.X86Opcodes.PREFIX;
import static dev.gantry.scan.x86.X86Opcodes.REG_ONLY;
import static dev.gantry.scan.x86.X86Opcodes.TWO_BYTE;

/**
 * A 64-bit-mode x86 instruction length decoder that also classifies the CPU
 * features each instruction needs. It walks legacy prefixes, REX, the VEX
 * (C4/C5), EVEX (62) and XOP (8F) prefixes, the one-byte, 0F, 0F38 and 0F3A
 * opcode maps, ModRM, SIB, displacement and immediate, so it stays in
 * instruction sync where a byte-pattern search would not.
 *
 * <p>Hand-written because no maintained x86 decoder for the JVM is on Maven
 * Central (iced-x86's Java port is not); GNU objdump is its test oracle.
 * Undefined opcodes decode as one byte, as objdump's {@code (bad)} does.
 *
 * <p>Not thread-safe: {@link #decode} leaves its results in fields, so one
 * instance serves one thread (an instance is cheap; make one per analysis).
 */
public final class X86Decoder {
    /** Maximum length of an x86 instruction. */
    public static final int MAX_LENGTH = 15;

    private static final int FLAG_INVALID = 1;
    private static final int FLAG_CPUID = 2;
    private static final int FLAG_XGETBV = 4;

    private int length;
    private long features;
    private int flags;
    /** Where the last instruction's RIP-relative disp32 or rel32 branch operand starts, or -1. */
    private int refAt;
    private int refKind;

    /** Length in bytes of the last decoded instruction (1..15). */
    public int length() {
        return length;
    }

    /** Features the last decoded instruction needs, as an {@link X86Feature} bit mask. */
    public long features() {
        return features;
    }

    /** Whether the last instruction was undefined or malformed (decoded as one byte). */
    public boolean invalid() {
        return (flags & FLAG_INVALID) != 0;
    }

    /** Whether the last instruction was CPUID. */
    public boolean cpuid() {
        return (flags & FLAG_CPUID) != 0;
    }

    /**
     * What the last instruction decoded by the general decoder refers to: one of
     * {@link X86CodeScanner#REF}, {@link X86CodeScanner#STORE}, {@link X86CodeScanner#DATA},
     * {@link X86CodeScanner#CALL}, {@link X86CodeScanner#JUMP}, or 0 when it has no
     * RIP-relative operand and is no rel32 branch.
     */
    int refKind() {
        return refKind;
    }

    /** The index in the code array the last instruction refers to (valid when {@link #refKind()} is not 0). */
    long refTarget(byte[] code, int pos) {
        int d = (code[refAt] & 0xFF) | (code[refAt + 1] & 0xFF) << 8 | (code[refAt + 2] & 0xFF) << 16
                | code[refAt + 3] << 24;
        return (long) pos + length + d;
    }

    /** Whether the last instruction was XGETBV (reads which register states the OS enabled). */
    public boolean xgetbv() {
        return (flags & FLAG_XGETBV) != 0;
    }

    /**
     * Decodes the instruction at {@code pos}.
     *
     * @return false when the instruction would run past {@code end} (the
     *     caller stops); true otherwise, with the results in this decoder's accessors
     */
    public boolean decode(byte[] code, int pos, int end) {
        // Fast path: the common instructions (no legacy prefix, optional REX,
        // one-byte or plain 0F map, no feature) by table, with no bounds
        // checks when 15 bytes remain. It is what makes decoding cost about
        // as much as inflating the same bytes.
        if (end - pos >= MAX_LENGTH) {
            int p = pos;
            int b = code[p] & 0xFF;
            boolean rexW = false;
            if ((b & 0xF0) == 0x40) {
                rexW = (b & 0x08) != 0;
                b = code[++p] & 0xFF;
            }
            int a;
            if (b == 0x0F) {
                a = X86Opcodes.FAST_0F[code[++p] & 0xFF];
            } else {
                a = X86Opcodes.FAST[b];
            }
            if (a >= 0) {
                p++;
                if ((a & X86Opcodes.F_MODRM) != 0) {
                    int modrm = code[p] & 0xFF;
                    if ((a & X86Opcodes.F_CHECK) != 0 && (modrm == 0xF8 || X86Operands.isUndefinedGroupMember(b, modrm))) {
                        return decodeSlow(code, pos, end);
                    }
                    p += X86Operands.modrmLength(code, p, end);
                }
                p += (a & X86Opcodes.F_IMM) + ((a & X86Opcodes.F_IMMV) != 0 && rexW ? 4 : 0);
                length = p - pos;
                features = 0;
                flags = 0;
                return true;
            }
        }
        return decodeSlow(code, pos, end);
    }

    /** The general decoder: prefixes, every opcode map, operands; {@link #decode} tries a table first. */
    boolean decodeSlow(byte[] code, int pos, int end) {
        features = 0;
        flags = 0;
        refKind = 0;
        int limit = Math.min(end, pos + MAX_LENGTH);
        int p = pos;
        boolean has66 = false;
        boolean has67 = false;
        int rep = 0;
        int attr;
        int b;
        while (true) {
            if (p >= limit) {
                return truncated(pos, end, limit);
            }
            b = code[p] & 0xFF;
            attr = ONE_BYTE[b];
            if ((attr & PREFIX) == 0) {
                break;
            }
            if (b == 0x66) {
                has66 = true;
            } else if (b == 0x67) {
                has67 = true;
            } else if (b == 0xF2 || b == 0xF3) {
                rep = b;
            }
            p++;
        }
        boolean rexW = false;
        if ((b & 0xF0) == 0x40) {
            rexW = (b & 0x08) != 0;
            p++;
            if (p >= limit) {
                return truncated(pos, end, limit);
            }
            b = code[p] & 0xFF;
            attr = ONE_BYTE[b];
            if ((attr & PREFIX) != 0 || (b & 0xF0) == 0x40) {
                // REX not followed by an opcode has no effect; like objdump, the
                // prefixes up to it form an instruction of their own.
                return badThrough(pos, p);
            }
        }
        int prefixClass = rep == 0xF3 ? LegacyFeatures.PF3 : rep == 0xF2 ? LegacyFeatures.PF2
                : has66 ? LegacyFeatures.P66 : LegacyFeatures.NONE;
        p++; // past the opcode byte
        if (b == 0x0F) {
            return twoByte(code, pos, p, limit, end, prefixClass, has66, has67, rexW);
        }
        if (b == 0xC4 || b == 0xC5 || b == 0x62) {
            return vex(code, pos, p, limit, end, b, has67);
        }
        if (b == 0x8F && p < limit && (code[p] & 0x38) != 0) {
            return xop(code, pos, p, limit, end, has67);
        }
        if ((attr & INVALID) != 0) {
            return badThrough(pos, p);
        }
        int modrm = -1;
        if ((attr & MODRM) != 0) {
            if (p >= limit) {
                return truncated(pos, end, limit);
            }
            modrm = code[p] & 0xFF;
            if (X86Operands.isUndefinedGroupMember(b, modrm)) {
                return badThrough(pos, p);
            }
            int m = X86Operands.modrmLength(code, p, limit);
            if (m < 0) {
                return truncated(pos, end, limit);
            }
            if ((modrm & 0xC7) == 0x05) {
                refAt = p + 1;
                refKind = X86CodeScanner.ripKind(b);
            }
            p += m;
        }
        int imm = X86Operands.immediateSize(attr, b, modrm, has66, has67, rexW);
        p += imm;
        if (p > limit) {
            return truncated(pos, end, limit);
        }
        length = p - pos;
        if ((b == 0xE8 || b == 0xE9) && imm == 4) {
            refAt = p - 4;
            refKind = b == 0xE8 ? X86CodeScanner.CALL : X86CodeScanner.JUMP;
        }
        if (b == 0x9E || b == 0x9F) {
            features = X86Feature.LAHF_LM.bit();
        } else if ((b == 0xDB || b == 0xDD || b == 0xDF) && (modrm >>> 6) != 3 && ((modrm >>> 3) & 7) == 1) {
            features = X86Feature.PNI.bit(); // FISTTP
        } else if ((b == 0xC6 || b == 0xC7) && modrm == 0xF8) {
            features = X86Feature.RTM.bit(); // XABORT, XBEGIN
        }
        return true;
    }

    private boolean twoByte(byte[] code, int pos, int p, int limit, int end, int prefixClass,
            boolean has66, boolean has67, boolean rexW) {
        if (p >= limit) {
            return truncated(pos, end, limit);
        }
        int op = code[p++] & 0xFF;
        int map;
        int attr;
        if (op == 0x38 || op == 0x3A) {
            map = op == 0x38 ? 2 : 3;
            if (p >= limit) {
                return truncated(pos, end, limit);
            }
            op = code[p++] & 0xFF;
            attr = map == 2 ? MODRM : MODRM | IMM8;
        } else {
            map = 1;
            attr = TWO_BYTE[op];
            if ((attr & INVALID) != 0) {
                return badThrough(pos, p);
            }
            if (op == 0x78 && (prefixClass == LegacyFeatures.P66 || prefixClass == LegacyFeatures.PF2)) {
                attr = MODRM | IMM16; // SSE4a EXTRQ/INSERTQ: two immediate bytes
            }
        }
        int modrm = -1;
        if ((attr & MODRM) != 0) {
            if (p >= limit) {
                return truncated(pos, end, limit);
            }
            modrm = code[p] & 0xFF;
            if ((attr & REG_ONLY) != 0) {
                p++;
            } else {
                int m = X86Operands.modrmLength(code, p, limit);
                if (m < 0) {
                    return truncated(pos, end, limit);
                }
                if ((modrm & 0xC7) == 0x05) {
                    refAt = p + 1;
                    refKind = X86CodeScanner.DATA;
                }
                p += m;
            }
        }
        if ((attr & IMM8) != 0) {
            p++;
        }
        if ((attr & IMM16) != 0) {
            p += 2;
        }
        if ((attr & IMMZ) != 0) {
            p += has66 && !rexW ? 2 : 4;
        }
        if (p > limit) {
            return truncated(pos, end, limit);
        }
        length = p - pos;
        if (map == 1 && op >= 0x80 && op <= 0x8F && p - pos >= 6 && !(has66 && !rexW)) {
            refAt = p - 4;
            refKind = X86CodeScanner.JUMP;
        }
        if (map == 1 && op == 0xA2) {
            flags = FLAG_CPUID;
            return true;
        }
        byte f = LegacyFeatures.lookup(map, prefixClass, op);
        if (f == LegacyFeatures.BY_MODRM) {
            features = LegacyFeatures.group(op, prefixClass, modrm, rexW);
            if (op == 0x01 && LegacyFeatures.isXgetbv(prefixClass, modrm)) {
                flags = FLAG_XGETBV;
            }
        } else if (f != 0) {
            features = 1L << (f - 1);
        }
        return true;
    }

    private boolean vex(byte[] code, int pos, int p, int limit, int end, int kind, boolean has67) {
        // C5 RvvvvLpp | C4 RXBmmmmm WvvvvLpp | 62 RXBR'0mmm Wvvvv1pp zL'LbV'aaa
        int payload = kind == 0xC5 ? 1 : kind == 0xC4 ? 2 : 3;
        if (p + payload >= limit) {
            return truncated(pos, end, limit);
        }
        int map;
        int pp;
        int l;
        boolean w;
        boolean bcst = false;
        if (kind == 0xC5) {
            int b1 = code[p] & 0xFF;
            map = 1;
            pp = b1 & 3;
            l = (b1 >>> 2) & 1;
            w = false;
        } else if (kind == 0xC4) {
            int b1 = code[p] & 0xFF;
            int b2 = code[p + 1] & 0xFF;
            map = b1 & 0x1F;
            pp = b2 & 3;
            l = (b2 >>> 2) & 1;
            w = (b2 & 0x80) != 0;
            if (map < 1 || map > 3) {
                return bad(pos);
            }
        } else {
            int p0 = code[p] & 0xFF;
            int p1 = code[p + 1] & 0xFF;
            int p2 = code[p + 2] & 0xFF;
            map = p0 & 0x07;
            pp = p1 & 3;
            l = (p2 >>> 5) & 3;
            w = (p1 & 0x80) != 0;
            bcst = (p2 & 0x10) != 0;
            if ((p1 & 0x04) == 0 || map == 0 || map == 4 || map == 7) {
                return bad(pos);
            }
        }
        p += payload;
        int op = code[p++] & 0xFF;
        boolean hasModrm = !(kind != 0x62 && map == 1 && op == 0x77); // VZEROUPPER/VZEROALL
        int modrm = 0;
        if (hasModrm) {
            if (p >= limit) {
                return truncated(pos, end, limit);
            }
            modrm = code[p] & 0xFF;
            int m = X86Operands.modrmLength(code, p, limit);
            if (m < 0) {
                return truncated(pos, end, limit);
            }
            if ((modrm & 0xC7) == 0x05) {
                refAt = p + 1;
                refKind = X86CodeScanner.DATA;
            }
            p += m;
        }
        if (map == 3 || (map == 1 && X86Operands.hasImm8Map1(op))) {
            p++;
        }
        if (p > limit) {
            return truncated(pos, end, limit);
        }
        length = p - pos;
        features = kind == 0x62
                ? VectorFeatures.evex(map, pp, op, l, w, bcst, modrm)
                : VectorFeatures.vex(map, pp, op, l, w, modrm);
        return true;
    }

    private boolean xop(byte[] code, int pos, int p, int limit, int end, boolean has67) {
        if (p + 2 >= limit) {
            return truncated(pos, end, limit);
        }
        int map = code[p] & 0x1F;
        if (map < 8 || map > 10) {
            return bad(pos);
        }
        p += 2;
        int op = code[p++] & 0xFF;
        int m = X86Operands.modrmLength(code, p, limit);
        if (m < 0) {
            return truncated(pos, end, limit);
        }
        p += m + (map == 8 ? 1 : map == 10 ? 4 : 0);
        if (p > limit) {
            return truncated(pos, end, limit);
        }
        length = p - pos;
        boolean tbm = (map == 9 && (op == 0x01 || op == 0x02)) || (map == 10 && op == 0x10);
        features = (tbm ? X86Feature.TBM : X86Feature.XOP).bit();
        return true;
    }

    /** An undefined instruction, consumed through its opcode byte (ending before {@code next}), as objdump does. */
    private boolean badThrough(int pos, int next) {
        length = next - pos;
        flags = FLAG_INVALID;
        features = 0;
        refKind = 0;
        return true;
    }

    private boolean bad(int pos) {
        length = 1;
        flags = FLAG_INVALID;
        features = 0;
        refKind = 0;
        return true;
    }

    /** An instruction cut by the end of the code, or longer than 15 bytes. */
    private boolean truncated(int pos, int end, int limit) {
        if (limit < end) {
            return bad(pos); // more than 15 bytes: not an instruction
        }
        return false;
    }
}
