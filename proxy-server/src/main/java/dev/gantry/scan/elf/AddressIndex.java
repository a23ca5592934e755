package dev.gantry.scan.elf;

/**
 * Which functions of {@link Functions} can hold an address, without a binary search over all of
 * them: the address space from the first function's start is cut into slots of {@code 1 << shift}
 * bytes, about one per function, and each slot knows the first function that starts in it or
 * later. The passes of {@link Guards} resolve every call and jump target of a file, hundreds of
 * thousands of lookups in a big one; searching all functions each time was a fifth of a scan.
 */
final class AddressIndex {
    /** Bytes the index takes per function: an int per slot, at most one slot per function (plus two). */
    static final int BYTES_PER_FUNCTION = 4;

    private final long first;
    private final int shift;
    private final int count;
    /**
     * {@code firstIn[k]}: the index of the first function starting at or after slot {@code k}'s start
     * ({@code first + (k << shift)}); one more slot at the end holds {@code count}.
     */
    private final int[] firstIn;

    private AddressIndex(long first, int shift, int count, int[] firstIn) {
        this.first = first;
        this.shift = shift;
        this.count = count;
        this.firstIn = firstIn;
    }

    /** @param vaddr the start addresses of {@code count > 0} functions, ascending and distinct */
    static AddressIndex of(long[] vaddr, int count) {
        long span = vaddr[count - 1] - vaddr[0] + 1;
        int shift = 0;
        while ((span >>> shift) > count) {
            shift++;
        }
        int slots = (int) ((span - 1 >>> shift) + 1);
        int[] b = new int[slots + 1];
        int f = 0;
        for (int k = 0; k <= slots; k++) {
            long start = vaddr[0] + ((long) k << shift);
            while (f < count && vaddr[f] < start) {
                f++;
            }
            b[k] = f;
        }
        return new AddressIndex(vaddr[0], shift, count, b);
    }

    /**
     * The functions to search for {@code address} (at or after the first function's start): the last
     * one starting at or before it lies in {@code [lo, hi]}, returned as {@code lo << 32 | hi}.
     */
    long candidates(long address) {
        long k = address - first >>> shift;
        if (k + 1 < firstIn.length) {
            // The function holding it starts in this slot or is the last one before it.
            int lo = Math.max(0, firstIn[(int) k] - 1);
            return (long) lo << 32 | (firstIn[(int) k + 1] - 1) & 0xFFFFFFFFL;
        }
        return (long) (count - 1) << 32 | (count - 1);
    }
}
