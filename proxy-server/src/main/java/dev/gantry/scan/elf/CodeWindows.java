package dev.gantry.scan.elf;

import dev.gantry.scan.arm64.Arm64Classifier;
import dev.gantry.scan.arm64.Arm64Feature;
import dev.gantry.scan.x86.X86CodeScanner;
import dev.gantry.scan.x86.X86Decoder;
import dev.gantry.scan.x86.X86Feature;
import java.util.Map;

/**
 * Decodes code ranges of an ELF file a window at a time: each window is
 * copied from the file's view (a mapping of a big file) into one reused heap
 * array of {@link #WINDOW} bytes, where the decoders run at full speed; a
 * small file already in a heap array is decoded in place, so a 100 MB text section costs
 * the heap no more than a small one. Functions are decoded one by one from
 * their first byte (so x86 decoding starts in sync), many to a window; a
 * function longer than a window is decoded in overlapping windows (by the
 * longest x86 instruction, so none is cut; AArch64 windows keep the 4-byte
 * alignment of file offsets). Offsets reported are file offsets. With a
 * {@link CodeGraph}, what each function uses, probes and refers to is
 * recorded there.
 *
 * <p>One instance per analysis (it holds the array and the decoder); not thread-safe.
 */
final class CodeWindows {
    /** Bytes of code copied at once: what a scan's decoding holds on the heap. */
    static final int WINDOW = 1 << 20;

    private final ElfBytes bytes;
    private final long deadlineNanos;
    private final Map<String, Long> firstUse;
    private final byte[] window;
    /** A small file is already in a heap array: decoded in place, no window needed. */
    private final byte[] heap;
    /** File offset of {@code window[0]} and how many bytes it holds. */
    private long windowStart = -1;
    private int windowLength;
    private X86CodeScanner x86;
    private final X86Sink x86Sink = new X86Sink();
    private CodeGraph graph;
    /** Address minus file offset of the function being decoded. */
    private long delta;
    private final long[] adrpPage = new long[32];
    private int adrpValid;
    private long features;
    private String dispatch;
    private long decoded;
    private long stoppedAt = -1;

    /**
     * @param deadlineNanos {@link System#nanoTime()} after which decoding stops (checked per window)
     * @param firstUse receives, per feature flag, the file offset of its first instruction
     */
    CodeWindows(ElfBytes bytes, long deadlineNanos, Map<String, Long> firstUse) {
        this.bytes = bytes;
        this.deadlineNanos = deadlineNanos;
        this.firstUse = firstUse;
        this.heap = bytes.heapArray();
        this.window = heap != null ? null : new byte[(int) Math.min(WINDOW, Math.max(bytes.length(), 16))];
    }

    /**
     * Decodes every function of {@code fns} in order, recording into {@code g}. Every one, even
     * the ~99% with no feature-bearing instruction: the guards start from feature-free code (an
     * ifunc resolver's {@code LEA} of its variant, a caller of {@code getauxval}, the callers that
     * keep a helper required), so their edges are needed, and exact edges need instruction
     * boundaries; nor can bytes tell a feature-free function (a {@code C4}, {@code C5} or
     * {@code 62} displacement byte looks like VEX/EVEX). Measured in bench/scan/README.md.
     */
    void functions(Functions fns, CodeGraph g, boolean isX86) {
        graph = g;
        for (int i = 0; i < fns.count && stoppedAt < 0; i++) {
            g.begin(i);
            delta = fns.vaddr[i] - fns.offset[i];
            adrpValid = 0;
            long from = fns.offset[i];
            long to = from + fns.length[i];
            if (isX86) {
                x86(from, to);
            } else {
                arm64(from, to);
            }
        }
        g.finish();
        graph = null;
    }

    /** Decodes x86-64 code in the file's {@code [from, to)}. */
    void x86(long from, long to) {
        if (x86 == null) {
            x86 = new X86CodeScanner();
        }
        if (expired(from)) {
            return;
        }
        if (heap != null) {
            x86Sink.base = 0;
            x86.scan(heap, (int) from, (int) to, x86Sink);
            decoded += to - from;
            return;
        }
        long pos = from;
        while (pos < to && !expired(pos)) {
            int n = (int) Math.min(window.length, to - pos);
            int at = load(pos, n);
            boolean last = pos + n >= to;
            x86Sink.base = windowStart;
            x86.scan(window, at, at + n, last ? at + n : at + n - X86Decoder.MAX_LENGTH, x86Sink);
            if (last) {
                pos = to;
                break;
            }
            pos = windowStart + x86.position();
        }
        decoded += pos - from;
    }

    /**
     * Makes {@code [pos, pos + n)} available in the window, reloading it only when
     * it is not there yet; returns the index of {@code pos} in the window.
     */
    private int load(long pos, int n) {
        if (pos < windowStart || pos + n > windowStart + windowLength) {
            windowLength = (int) Math.min(window.length, bytes.length() - pos);
            bytes.copy(pos, window, windowLength);
            windowStart = pos;
        }
        return (int) (pos - windowStart);
    }

    /** Receives the x86 scanner's reports; {@code base} is the file offset of index 0 of the array scanned. */
    private final class X86Sink implements X86CodeScanner.Sink {
        long base;

        @Override
        public void instruction(int offset, long f, boolean cpuid) {
            long fresh = f & ~features;
            if (fresh != 0) {
                features |= fresh;
                for (long m = fresh; m != 0; m &= m - 1) {
                    firstUse.put(X86Feature.of(Long.numberOfTrailingZeros(m)).flag(), base + offset);
                }
            }
            if (graph != null && f != 0) {
                graph.features(f);
            }
            if (cpuid) {
                String what = "CPUID or XGETBV at offset 0x" + Long.toHexString(base + offset);
                if (dispatch == null) {
                    dispatch = what;
                }
                if (graph != null) {
                    graph.probe(what);
                }
            }
        }

        @Override
        public void reference(int offset, int kind, long target) {
            if (graph != null) {
                graph.edge(kind, base + target + delta);
            }
        }
    }

    /** Classifies the AArch64 instructions in the file's {@code [from, to)} (4-byte aligned file offsets). */
    void arm64(long from, long to) {
        long pos = from + ((4 - (from & 3)) & 3);
        while (pos + 4 <= to && !expired(pos)) {
            byte[] w;
            int p0;
            int n;
            if (heap != null) {
                w = heap;
                p0 = (int) pos;
                n = (int) ((to - pos) & ~3L);
            } else {
                w = window;
                n = (int) Math.min(window.length & ~3, (to - pos) & ~3L);
                p0 = load(pos, n);
            }
            long base = pos - p0;
            for (int p = p0; p + 4 <= p0 + n; p += 4) {
                int insn = (w[p] & 0xFF) | (w[p + 1] & 0xFF) << 8 | (w[p + 2] & 0xFF) << 16
                        | (w[p + 3] & 0xFF) << 24;
                long f = Arm64Classifier.classify(insn);
                if (f != 0) {
                    long fresh = f & ~features;
                    if (fresh != 0) {
                        features |= fresh;
                        for (long m = fresh; m != 0; m &= m - 1) {
                            firstUse.put(Arm64Feature.of(Long.numberOfTrailingZeros(m)).flag(), base + p);
                        }
                    }
                    if (graph != null) {
                        graph.features(f);
                    }
                } else if (Arm64Classifier.readsIdRegister(insn)) {
                    String what = "MRS of an ID register at offset 0x" + Long.toHexString(base + p);
                    if (dispatch == null) {
                        dispatch = what;
                    }
                    if (graph != null) {
                        graph.probe(what);
                    }
                } else if (graph != null) {
                    arm64Reference(insn, base + p + delta);
                }
            }
            pos += n;
        }
        decoded += (pos + 4 > to ? to : pos) - from;
    }

    /** Records BL, B, and ADRP followed by ADD (an address taken), LDR or STR (data read or written). */
    private void arm64Reference(int insn, long pc) {
        int top = insn & 0xFC000000;
        if (top == 0x94000000 || top == 0x14000000) {
            long imm = ((long) (insn << 6)) >> 4; // imm26 * 4, sign-extended
            graph.edge(top == 0x94000000 ? X86CodeScanner.CALL : X86CodeScanner.JUMP, pc + imm);
        } else if ((insn & 0x9F000000) == 0x90000000) {
            int rd = insn & 31;
            adrpPage[rd] = (pc & ~0xFFFL) + (Plt.adrpImmediate(insn) << 12);
            adrpValid |= 1 << rd;
        } else if ((insn & 0xFF800000) == 0x91000000) { // ADD Xd, Xn, #imm{, LSL 12}
            int rn = (insn >>> 5) & 31;
            if ((adrpValid & (1 << rn)) != 0) {
                long imm = ((insn >>> 10) & 0xFFF) << (((insn >>> 22) & 1) * 12);
                graph.edge(X86CodeScanner.REF, adrpPage[rn] + imm);
            }
        } else if ((insn & 0x3B000000) == 0x39000000) { // LDR/STR (unsigned immediate)
            int rn = (insn >>> 5) & 31;
            if ((adrpValid & (1 << rn)) != 0) {
                int size = insn >>> 30;
                long imm = (long) ((insn >>> 10) & 0xFFF) << size;
                boolean store = ((insn >>> 22) & 3) == 0;
                graph.edge(store ? X86CodeScanner.STORE : X86CodeScanner.DATA, adrpPage[rn] + imm);
            }
        }
    }

    private boolean expired(long pos) {
        if (System.nanoTime() - deadlineNanos < 0) {
            return false;
        }
        if (stoppedAt < 0) {
            stoppedAt = pos;
        }
        return true;
    }

    /** The features of the instructions decoded so far. */
    long features() {
        return features;
    }

    /** The first CPU probe found in the code, or null. */
    String dispatch() {
        return dispatch;
    }

    long decoded() {
        return decoded;
    }

    /** The file offset where decoding stopped because the deadline passed, or -1 when it did not. */
    long stoppedAt() {
        return stoppedAt;
    }
}
