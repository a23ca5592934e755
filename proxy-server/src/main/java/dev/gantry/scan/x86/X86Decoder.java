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
public final class X86Decoder extends X86VectorEncodings {
    /** Maximum length of an x86 instruction. */
    public static final int MAX_LENGTH = 15;

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
                    if ((a & X86Opcodes.F_CHECK) != 0 && X86Operands.UNDEFINED[X86Operands.CHECK_ROW[b] << 8 | modrm]) {
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
}
