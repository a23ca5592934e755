package dev.gantry.scan.x86;

/**
 * What {@link X86Decoder} leaves of the last instruction it decoded: its
 * length, the CPU features it needs, whether it was undefined, CPUID or
 * XGETBV, and what it refers to; and the ways an instruction ends undefined
 * or cut. Shared by the legacy-map decoder and {@link X86VectorEncodings}.
 */
abstract class X86Instruction {
    static final int FLAG_INVALID = 1;
    static final int FLAG_CPUID = 2;
    static final int FLAG_XGETBV = 4;

    int length;
    long features;
    int flags;
    /** Where the last instruction's RIP-relative disp32 or rel32 branch operand starts, or -1. */
    int refAt;
    int refKind;

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

    /** An undefined instruction, consumed through its opcode byte (ending before {@code next}), as objdump does. */
    final boolean badThrough(int pos, int next) {
        length = next - pos;
        flags = FLAG_INVALID;
        features = 0;
        refKind = 0;
        return true;
    }

    final boolean bad(int pos) {
        length = 1;
        flags = FLAG_INVALID;
        features = 0;
        refKind = 0;
        return true;
    }

    /** An instruction cut by the end of the code, or longer than 15 bytes. */
    final boolean truncated(int pos, int end, int limit) {
        if (limit < end) {
            return bad(pos); // more than 15 bytes: not an instruction
        }
        return false;
    }
}
