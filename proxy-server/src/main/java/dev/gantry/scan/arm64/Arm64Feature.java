package dev.gantry.scan.arm64;

/**
 * The AArch64 CPU features the classifier recognises, named as in the
 * {@code Features} line of {@code /proc/cpuinfo} on arm64 Linux. The ARMv8.0
 * baseline ({@code fp}, {@code asimd}) is never a finding. A set of features
 * is a {@code long} bit mask indexed by {@link #ordinal()}.
 */
public enum Arm64Feature {
    AES("aes"), PMULL("pmull"), SHA1("sha1"), SHA2("sha2"), SHA3("sha3"), SHA512("sha512"),
    SM3("sm3"), SM4("sm4"), CRC32("crc32"), ATOMICS("atomics"), FPHP("fphp"), ASIMDHP("asimdhp"),
    ASIMDRDM("asimdrdm"), JSCVT("jscvt"), FCMA("fcma"), LRCPC("lrcpc"), ASIMDDP("asimddp"),
    SVE("sve"), SVE2("sve2"), BF16("bf16"), I8MM("i8mm"), SME("sme"), RNG("rng"), FLAGM("flagm");

    private static final Arm64Feature[] VALUES = values();

    private final String flag;

    Arm64Feature(String flag) {
        this.flag = flag;
    }

    /** The name in {@code /proc/cpuinfo}. */
    public String flag() {
        return flag;
    }

    public long bit() {
        return 1L << ordinal();
    }

    public static Arm64Feature of(int ordinal) {
        return VALUES[ordinal];
    }
}
