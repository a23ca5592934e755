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
 * the heap no more than a small one. x86 windows overlap by the longest
 * instruction, so no instruction is cut; AArch64 windows keep the 4-byte
 * alignment of file offsets. Offsets reported are file offsets.
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
    private X86CodeScanner x86;
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

    /** Decodes x86-64 code in the file's {@code [from, to)}. */
    void x86(long from, long to) {
        if (x86 == null) {
            x86 = new X86CodeScanner();
        }
        long[] base = {from};
        X86CodeScanner.Sink sink = (offset, f, cpuid) -> {
            long fresh = f & ~features;
            if (fresh != 0) {
                features |= fresh;
                for (long m = fresh; m != 0; m &= m - 1) {
                    firstUse.put(X86Feature.of(Long.numberOfTrailingZeros(m)).flag(), base[0] + offset);
                }
            }
            if (cpuid && dispatch == null) {
                dispatch = "CPUID or XGETBV at offset 0x" + Long.toHexString(base[0] + offset);
            }
        };
        if (heap != null) {
            if (!expired(from)) {
                x86.scan(heap, (int) from, (int) to, sink);
                decoded += to - from;
            }
            return;
        }
        long pos = from;
        while (pos < to && !expired(pos)) {
            int n = (int) Math.min(window.length, to - pos);
            bytes.copy(pos, window, n);
            boolean last = pos + n >= to;
            base[0] = pos;
            x86.scan(window, 0, n, last ? n : n - X86Decoder.MAX_LENGTH, sink);
            if (last) {
                pos = to;
                break;
            }
            pos += x86.position();
        }
        decoded += pos - from;
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
                p0 = 0;
                n = (int) Math.min(window.length & ~3, (to - pos) & ~3L);
                bytes.copy(pos, window, n);
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
                } else if (dispatch == null && Arm64Classifier.readsIdRegister(insn)) {
                    dispatch = "MRS of an ID register at offset 0x" + Long.toHexString(base + p);
                }
            }
            pos += n;
        }
        decoded += (pos + 4 > to ? to : pos) - from;
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
