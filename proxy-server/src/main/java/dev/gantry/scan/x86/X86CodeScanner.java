package dev.gantry.scan.x86;

/**
 * Walks a code section instruction by instruction and reports only what
 * matters for hardware requirements: instructions that need a CPU feature,
 * probe the CPU (CPUID, XGETBV) or are undefined, and — for the call and
 * reference graph that finds which functions a run-time check selects — the
 * targets of rel32 branches and RIP-relative operands. The common
 * instructions are sized by table inside the loop; everything else goes to
 * {@link X86Decoder}.
 *
 * <p>Not thread-safe, like the decoder it holds: one instance per analysis.
 */
public final class X86CodeScanner {
    /** Reference kinds: the address is taken ({@code LEA}). */
    public static final int REF = 1;
    /** A RIP-relative store ({@code MOV} to memory). */
    public static final int STORE = 2;
    /** Any other RIP-relative operand: a load, compare, test, or an indirect call or jump through a slot. */
    public static final int DATA = 3;
    /** {@code CALL rel32}. */
    public static final int CALL = 4;
    /** {@code JMP rel32} or {@code Jcc rel32}: a jump within the function or a tail call. */
    public static final int JUMP = 5;

    private final X86Decoder decoder = new X86Decoder();
    private int position;

    /** Receives the instructions of a {@link #scan} that need a feature, probe the CPU, or are undefined. */
    @FunctionalInterface
    public interface Sink {
        /**
         * @param offset where the instruction starts
         * @param features its {@link X86Feature} mask (0 for CPUID, XGETBV or undefined)
         * @param cpuid whether it is CPUID or XGETBV
         */
        void instruction(int offset, long features, boolean cpuid);

        /**
         * An instruction at {@code offset} refers to {@code target}, an index in the
         * same coordinates as the code array (it may lie outside it).
         *
         * @param kind {@link #REF}, {@link #STORE}, {@link #DATA}, {@link #CALL} or {@link #JUMP}
         */
        default void reference(int offset, int kind, long target) {
        }
    }

    /** The kind of a RIP-relative operand of one-byte-map opcode {@code b}. */
    static int ripKind(int b) {
        return b == 0x8D ? REF : b == 0x88 || b == 0x89 || b == 0xC6 || b == 0xC7 ? STORE : DATA;
    }

    /**
     * Decodes {@code [from, to)} instruction by instruction and reports to
     * {@code sink} only the instructions that need a feature or probe the CPU.
     * Equivalent to calling {@link X86Decoder#decode} in a loop, but the common
     * instructions never leave this method's registers, which is what makes
     * disassembling whole layers affordable.
     *
     * @return the number of instructions decoded
     */
    public long scan(byte[] code, int from, int to, Sink sink) {
        return scan(code, from, to, to, sink);
    }

    /**
     * Like {@link #scan(byte[], int, int, Sink)}, but decodes only the
     * instructions that start before {@code limit}, with the bytes up to
     * {@code to} available to them: how a long range is decoded a window at a
     * time (with {@code limit <= to - X86Decoder.MAX_LENGTH} no instruction is
     * cut by the window's end). {@link #position()} then says where the next
     * instruction starts.
     */
    public long scan(byte[] code, int from, int to, int limit, Sink sink) {
        int[] fast = X86Opcodes.FAST;
        int[] fast0f = X86Opcodes.FAST_0F;
        int[] modrmLen = X86Opcodes.MODRM_LENGTH;
        long count = 0;
        int p = from;
        int safe = to - X86Decoder.MAX_LENGTH;
        while (p < limit) {
            count++;
            if (p <= safe) {
                int q = p;
                int b = code[q] & 0xFF;
                int rexW = 0;
                if ((b & 0xF0) == 0x40) {
                    rexW = (b >>> 3) & 1;
                    b = code[++q] & 0xFF;
                }
                int a = b == 0x0F ? fast0f[code[++q] & 0xFF] : fast[b];
                if (a >= 0) {
                    q++;
                    if ((a & X86Opcodes.F_MODRM) != 0) {
                        int modrm = code[q] & 0xFF;
                        if ((a & X86Opcodes.F_CHECK) == 0 || !X86Operands.UNDEFINED[X86Operands.CHECK_ROW[b] << 8 | modrm]) {
                            int m = modrmLen[modrm];
                            int at = q + 1;
                            q += m & 0xF;
                            if ((m & 0x10) != 0 && (code[q - 1] & 7) == 5) {
                                q += 4; // SIB with no base: disp32
                            }
                            q += (a & X86Opcodes.F_IMM) + (((a & X86Opcodes.F_IMMV) >>> 4) & rexW) * 4;
                            if ((m & 0x20) != 0) {
                                sink.reference(p, ripKind(b), (long) q + rel32(code, at));
                            }
                            p = q;
                            continue;
                        }
                    } else {
                        q += (a & X86Opcodes.F_IMM) + (((a & X86Opcodes.F_IMMV) >>> 4) & rexW) * 4;
                        if ((a & X86Opcodes.F_BRANCH) != 0) {
                            sink.reference(p, b == 0xE8 ? CALL : JUMP, (long) q + rel32(code, q - 4));
                        }
                        p = q;
                        continue;
                    }
                }
            }
            if (!decoder.decodeSlow(code, p, to)) {
                break; // cut by the end of the bytes: p stays at the cut instruction
            }
            long features = decoder.features();
            boolean probe = decoder.cpuid() || decoder.xgetbv();
            if (features != 0 || probe) {
                sink.instruction(p, features, probe);
            }
            int kind = decoder.refKind();
            if (kind != 0) {
                sink.reference(p, kind, decoder.refTarget(code, p));
            }
            p += decoder.length();
        }
        position = p;
        return count;
    }

    private static int rel32(byte[] code, int at) {
        return (code[at] & 0xFF) | (code[at + 1] & 0xFF) << 8 | (code[at + 2] & 0xFF) << 16 | code[at + 3] << 24;
    }

    /** Where the last {@link #scan} stopped: the start of the first instruction it did not decode. */
    public int position() {
        return position;
    }
}
