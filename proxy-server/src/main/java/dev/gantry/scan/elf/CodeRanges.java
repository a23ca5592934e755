package dev.gantry.scan.elf;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Where the code sections lie, for a lookup per symbol and FDE in O(log n): a file may have thousands of
 * them (an object built with one section per function), and millions of symbols.
 */
final class CodeRanges {
    /** The sections by address, and their addresses. */
    private final ElfFile.Section[] byAddr;
    private final long[] addrs;
    /** Their address ranges merged: disjoint, ascending; {@code [start[i], end[i])}. */
    private final long[] start;
    private final long[] end;
    private final int ranges;

    CodeRanges(List<ElfFile.Section> code) {
        byAddr = code.toArray(new ElfFile.Section[0]);
        Arrays.sort(byAddr, Comparator.comparingLong(ElfFile.Section::addr));
        addrs = Arrays.stream(byAddr).mapToLong(ElfFile.Section::addr).toArray();
        start = new long[byAddr.length];
        end = new long[byAddr.length];
        int n = 0;
        for (ElfFile.Section s : byAddr) {
            long e = s.addr() + s.size();
            if (n > 0 && s.addr() <= end[n - 1]) {
                end[n - 1] = Math.max(end[n - 1], e);
            } else {
                start[n] = s.addr();
                end[n] = e;
                n++;
            }
        }
        ranges = n;
    }

    /** Whether some code section holds {@code vaddr}. */
    boolean contains(long vaddr) {
        int i = lastAtOrBelow(start, ranges, vaddr);
        return i >= 0 && vaddr < end[i];
    }

    /**
     * The code section that holds {@code vaddr}: the one starting nearest below it, or, where sections
     * overlap, one of the few before it; null if none of those does.
     */
    ElfFile.Section section(long vaddr) {
        int last = lastAtOrBelow(addrs, addrs.length, vaddr);
        for (int i = last; i >= 0 && i > last - 64; i--) {
            ElfFile.Section s = byAddr[i];
            if (vaddr - s.addr() < s.size()) {
                return s;
            }
        }
        return null;
    }

    private static int lastAtOrBelow(long[] sorted, int n, long v) {
        int lo = 0;
        int hi = n;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] <= v) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo - 1;
    }
}
