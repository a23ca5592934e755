package dev.gantry.scan.x86;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The test's own, independent idea of which features an instruction needs,
 * from objdump's mnemonic and operands (AT&T syntax). It covers the features
 * whose instructions have distinctive names; the decoder must agree on them.
 */
final class MnemonicFeatures {
    /** Features this table knows completely: the decoder reporting one of them must be explained here. */
    static final Set<String> COMPLETE = Set.of("aes", "pclmulqdq", "sha_ni", "popcnt", "abm", "sse4_2", "movbe",
            "rdrand", "rdseed", "adx", "bmi1", "bmi2", "fma", "f16c", "ssse3", "sse4_1", "pni", "rtm", "sgx");

    private static final Set<String> PREFIXES = Set.of("lock", "rep", "repz", "repnz", "repe", "repne", "notrack",
            "bnd", "data16", "addr32", "cs", "ds", "es", "ss", "fs", "gs", "rex", "rex.W", "xacquire", "xrelease",
            "{vex}", "{evex}");
    private static final Set<String> SSSE3 = Set.of("pshufb", "phaddw", "phaddd", "phaddsw", "pmaddubsw", "phsubw",
            "phsubd", "phsubsw", "psignb", "psignw", "psignd", "pmulhrsw", "pabsb", "pabsw", "pabsd", "palignr");
    private static final Set<String> SSE41 = Set.of("pblendvb", "blendvps", "blendvpd", "ptest", "pmuldq",
            "pcmpeqq", "movntdqa", "packusdw", "pminsb", "pminsd", "pminuw", "pminud", "pmaxsb", "pmaxsd", "pmaxuw",
            "pmaxud", "pmulld", "phminposuw", "roundps", "roundpd", "roundss", "roundsd", "blendps", "blendpd",
            "pblendw", "pextrb", "pextrd", "pextrq", "pinsrb", "pinsrd", "pinsrq", "extractps", "insertps", "dpps",
            "dppd", "mpsadbw");
    private static final Set<String> SSE42 = Set.of("pcmpgtq", "pcmpestri", "pcmpestrm", "pcmpistri", "pcmpistrm");
    private static final Set<String> SSE3 = Set.of("addsubps", "addsubpd", "haddps", "haddpd", "hsubps", "hsubpd",
            "lddqu", "movddup", "movshdup", "movsldup");
    private static final Set<String> AVX2_ANY_WIDTH = Set.of("vbroadcasti128", "vinserti128", "vextracti128",
            "vperm2i128", "vpermq", "vpermd", "vpermps", "vpermpd", "vpblendd", "vpmaskmovd", "vpmaskmovq",
            "vpsllvd", "vpsllvq", "vpsrlvd", "vpsrlvq", "vpsravd");

    /** An instruction as objdump printed it: mnemonic without prefixes, and operand text. */
    record Insn(String mnemonic, String operands) {
        boolean evex() {
            return operands.contains("%zmm") || operands.contains("{%k") || operands.matches(".*%k[0-7].*")
                    || operands.contains("{1to") || operands.contains("sae}")
                    || operands.matches(".*%[xy]mm(1[6-9]|2[0-9]|3[01])\\b.*") || mnemonic.startsWith("k")
                    || EVEX_ONLY.matcher(mnemonic).matches()
                    || (mnemonic.startsWith("vpbroadcast") && operands.matches("^%[er]?[a-z0-9]+[dwb]?,.*")
                        && !operands.startsWith("%xmm") && !operands.startsWith("%ymm") && !operands.startsWith("0x")
                        && !operands.startsWith("(") && !operands.startsWith("-"));
        }
    }

    /** Mnemonics that only EVEX encodes (AVX-512 additions), whatever their vector length. */
    private static final Pattern EVEX_ONLY = Pattern.compile(
            "vpternlog[dq]|valign[dq]|vperm[it]2.*|vpro[lr]v?[dq]|vmovdq[au](8|16|32|64)|vpmovu?s?[qdw][bwd]"
            + "|v(extract|insert)[if](32x4|32x8|64x2|64x4)|vbroadcast[if](32x2|32x4|32x8|64x2|64x4)"
            + "|vp(min|max)[su]q|vpabsq|vpsraq|vpmullq|vcvt.*u?qq.*|vcvt.*2u.*|vpcmpu?[bwdq]"
            + "|vpcompress.*|vpexpand.*|v(compress|expand)p[sd]|vpconflict.*|vplzcnt.*|vfixupimm.*|vgetexp.*"
            + "|vgetmant.*|vrange.*|vreduce.*|vrndscale.*|vscalef.*|vrcp14.*|vrsqrt14.*|vfpclass.*|vpshufbitqmb"
            + "|vdbpsadbw|vpmultishiftqb|vpermb|vpermw|vpsllvw|vpsrlvw|vpsravw|vptestn?m[bwdq]|vpblendm[bwdq]"
            + "|vblendmp[sd]|vpmovm2.*|vpmov[bwdq]2m|vpandn?[dq]|vpx?or[dq]|vpopcnt[bwdq]|vpdpbusds?|vpdpwssds?"
            + "|vpsh[lr]dv?[wdq]|vp(scatter|gather)q?[dq][dq]|vscatter.*");

    private MnemonicFeatures() {
    }

    static Insn parse(String text) {
        String t = text.replaceAll("\\s+#.*$", "").replaceAll("\\s+<.*>$", "");
        String[] words = t.split("\\s+", -1);
        int i = 0;
        while (i < words.length - 1 && (PREFIXES.contains(words[i]) || words[i].startsWith("rex."))) {
            i++;
        }
        String mnemonic = words[i];
        String operands = String.join(" ", List.of(words).subList(i + 1, words.length));
        return new Insn(mnemonic, operands);
    }

    /** Features the instruction certainly needs. */
    static Set<String> expected(Insn in) {
        Set<String> f = new HashSet<>();
        String m = in.mnemonic();
        boolean evex = in.evex();
        boolean wide = in.operands().contains("%ymm") || in.operands().contains("%zmm");
        if (evex) {
            f.add("avx512f");
        }
        if (m.matches("v?aes(enc|enclast|dec|declast|imc|keygenassist)")) {
            f.add(m.startsWith("v") && wide ? "vaes" : "aes");
        }
        if (m.matches("v?pclmul.*")) {
            f.add(m.startsWith("v") && wide ? "vpclmulqdq" : "pclmulqdq");
        }
        if (m.matches("sha(1|256).*")) {
            f.add("sha_ni");
        }
        switch (m) {
            case "popcnt" -> f.add("popcnt");
            case "lzcnt" -> f.add("abm");
            case "movbe" -> f.add("movbe");
            case "rdrand" -> f.add("rdrand");
            case "rdseed" -> f.add("rdseed");
            case "adcx", "adox" -> f.add("adx");
            case "andn", "bextr", "blsi", "blsmsk", "blsr" -> f.add("bmi1");
            case "bzhi", "pdep", "pext", "mulx", "rorx", "sarx", "shlx", "shrx" -> f.add("bmi2");
            case "xbegin", "xend", "xabort", "xtest" -> f.add("rtm");
            case "enclu", "encls" -> f.add("sgx");
            default -> { }
        }
        if (m.startsWith("crc32")) {
            f.add("sse4_2");
        }
        if (!evex && m.matches("vf(n)?m(add|sub).*")) {
            // four operands: AMD's FMA4; three: FMA3
            f.add(in.operands().replaceAll("\\([^)]*\\)", "").split(",").length == 4 ? "fma4" : "fma");
        }
        if (!evex && (m.equals("vcvtph2ps") || m.equals("vcvtps2ph"))) {
            f.add("f16c");
        }
        if (SSSE3.contains(m)) {
            f.add("ssse3");
        }
        if (SSE41.contains(m) || m.startsWith("pmovsx") || m.startsWith("pmovzx")) {
            f.add("sse4_1");
        }
        if (SSE42.contains(m)) {
            f.add("sse4_2");
        }
        if (SSE3.contains(m) || m.startsWith("fisttp")) {
            f.add("pni");
        }
        if (!evex && (AVX2_ANY_WIDTH.contains(m) || m.contains("gather")
                || (m.startsWith("vpbroadcast")))) {
            f.add("avx2");
        }
        if (!evex && in.operands().contains("%ymm") && m.startsWith("vp") && !m.equals("vptest")
                && !m.startsWith("vpermil") && !m.equals("vperm2f128") && !m.startsWith("vpclmul")) {
            f.add("avx2");
        }
        return f;
    }

    /** Whether this is a VEX-encoded vector instruction, which needs at least AVX. */
    static boolean vexVector(Insn in) {
        return !in.evex() && in.mnemonic().startsWith("v") && (in.operands().contains("%xmm")
                || in.operands().contains("%ymm"));
    }
}
