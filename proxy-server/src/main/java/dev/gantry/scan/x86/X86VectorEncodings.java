package dev.gantry.scan.x86;

/**
 * The VEX ({@code C4}/{@code C5}), EVEX ({@code 62}) and XOP ({@code 8F})
 * encodings of {@link X86Decoder}: their payload bytes, opcode maps, ModRM and
 * immediate, and the features by {@link VectorFeatures}.
 */
abstract class X86VectorEncodings extends X86Instruction {

    final boolean vex(byte[] code, int pos, int p, int limit, int end, int kind, boolean has67) {
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

    final boolean xop(byte[] code, int pos, int p, int limit, int end, boolean has67) {
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
}
