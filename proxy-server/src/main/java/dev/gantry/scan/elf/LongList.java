package dev.gantry.scan.elf;

import java.util.Arrays;

/** A growable array of longs with a hard cap, so a forged table cannot grow it without bound. */
final class LongList {
    private long[] a = new long[64];
    private int n;
    private final int cap;

    LongList(int cap) {
        this.cap = cap;
    }

    /** @return false when the list is full (the value is dropped) */
    boolean add(long v) {
        if (n == a.length) {
            if (n >= cap) {
                return false;
            }
            a = Arrays.copyOf(a, (int) Math.min(cap, 2L * n));
        }
        a[n++] = v;
        return true;
    }

    int size() {
        return n;
    }

    long get(int i) {
        return a[i];
    }

    boolean full() {
        return n >= cap;
    }

    /** The values, sorted, duplicates removed. */
    long[] sortedUnique() {
        long[] s = Arrays.copyOf(a, n);
        Arrays.sort(s);
        int m = 0;
        for (int i = 0; i < s.length; i++) {
            if (m == 0 || s[m - 1] != s[i]) {
                s[m++] = s[i];
            }
        }
        return Arrays.copyOf(s, m);
    }
}
