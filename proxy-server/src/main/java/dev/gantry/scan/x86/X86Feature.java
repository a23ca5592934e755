package dev.gantry.scan.x86;

/**
 * The x86-64 CPU features the decoder classifies, each with its
 * {@code /proc/cpuinfo} flag name and the x86-64 micro-architecture level
 * (psABI) that includes it, or 0 when no level does. Features of the x86-64
 * baseline (sse, sse2, cmov, cx8, fxsr, mmx...) are never findings and have no
 * constant here.
 *
 * <p>At most 64 constants: a set of features is a {@code long} bit mask
 * indexed by {@link #ordinal()}.
 */
public enum X86Feature {
    PNI("pni", 2), SSSE3("ssse3", 2), SSE4_1("sse4_1", 2), SSE4_2("sse4_2", 2),
    POPCNT("popcnt", 2), CX16("cx16", 2), LAHF_LM("lahf_lm", 2),
    AVX("avx", 3), AVX2("avx2", 3), BMI1("bmi1", 3), BMI2("bmi2", 3), F16C("f16c", 3),
    FMA("fma", 3), ABM("abm", 3), MOVBE("movbe", 3), XSAVE("xsave", 3),
    AVX512F("avx512f", 4), AVX512BW("avx512bw", 4), AVX512CD("avx512cd", 4),
    AVX512DQ("avx512dq", 4), AVX512VL("avx512vl", 4),
    AES("aes", 0), PCLMULQDQ("pclmulqdq", 0), SHA_NI("sha_ni", 0), RDRAND("rdrand", 0),
    RDSEED("rdseed", 0), ADX("adx", 0), XSAVEOPT("xsaveopt", 0), XSAVEC("xsavec", 0),
    XSAVES("xsaves", 0), FSGSBASE("fsgsbase", 0), CLFLUSHOPT("clflushopt", 0), CLWB("clwb", 0),
    SSE4A("sse4a", 0), FMA4("fma4", 0), XOP("xop", 0), TBM("tbm", 0), VAES("vaes", 0),
    VPCLMULQDQ("vpclmulqdq", 0), GFNI("gfni", 0), AVX_VNNI("avx_vnni", 0),
    AVX512IFMA("avx512ifma", 0), AVX512VBMI("avx512vbmi", 0), AVX512_VBMI2("avx512_vbmi2", 0),
    AVX512_VNNI("avx512_vnni", 0), AVX512_BITALG("avx512_bitalg", 0),
    AVX512_VPOPCNTDQ("avx512_vpopcntdq", 0), AVX512_BF16("avx512_bf16", 0),
    AVX512_FP16("avx512_fp16", 0), AMX_TILE("amx_tile", 0), AMX_BF16("amx_bf16", 0),
    AMX_INT8("amx_int8", 0), SGX("sgx", 0), TDX_GUEST("tdx_guest", 0), RTM("rtm", 0),
    RDTSCP("rdtscp", 0), RDPID("rdpid", 0), SERIALIZE("serialize", 0), WAITPKG("waitpkg", 0),
    PKU("pku", 0), MOVDIRI("movdiri", 0), MOVDIR64B("movdir64b", 0), ENQCMD("enqcmd", 0);

    private static final X86Feature[] VALUES = values();

    static {
        if (VALUES.length > 64) {
            throw new ExceptionInInitializerError("X86Feature must fit a long bit mask");
        }
    }

    private final String flag;
    private final int level;

    X86Feature(String flag, int level) {
        this.flag = flag;
        this.level = level;
    }

    /** The flag's name in {@code /proc/cpuinfo}. */
    public String flag() {
        return flag;
    }

    /** The x86-64 level (2, 3 or 4) that first includes this feature, or 0. */
    public int level() {
        return level;
    }

    /** This feature's bit in a feature mask. */
    public long bit() {
        return 1L << ordinal();
    }

    /** The feature of bit index {@code ordinal}. */
    public static X86Feature of(int ordinal) {
        return VALUES[ordinal];
    }

    /**
     * The x86-64 level (1..4) code needing every feature of {@code mask} needs: the lowest level whose
     * feature set contains them, except that AVX, F16C and XSAVE alone make x86-64-v2, not v3:
     * SandyBridge and IvyBridge have them and are x86-64-v2 CPUs (no AVX2, BMI, FMA, MOVBE, LZCNT), and
     * every CPU with them has all of x86-64-v2. The features themselves stay required.
     */
    public static int levelNeeded(long mask) {
        long early = AVX.bit() | F16C.bit() | XSAVE.bit();
        int level = levelOf(mask & ~early);
        return (mask & early) != 0 ? Math.max(level, 2) : level;
    }

    /** The lowest x86-64 level (1..4) whose feature set contains every feature in {@code mask}. */
    public static int levelOf(long mask) {
        int level = 1;
        for (long m = mask; m != 0; m &= m - 1) {
            level = Math.max(level, VALUES[Long.numberOfTrailingZeros(m)].level);
        }
        return level;
    }
}
