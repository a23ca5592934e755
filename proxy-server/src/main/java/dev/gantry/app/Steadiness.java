package dev.gantry.app;

import java.util.ArrayList;
import java.util.List;

/**
 * Tells when a warming server serves at steady speed, from what it served
 * per {@link #WINDOW_MS} window (answers, or bytes) and how long the JIT
 * compiled meanwhile: steady once the best second so far (what it served in
 * any four windows in a row) has not been beaten by more than {@link #GROWTH} for
 * {@link #FLAT_SECONDS} seconds, the last second reached at least half of
 * it, and the JIT spent at most {@link #COMPILING} of the last second
 * compiling. A cold JVM serves at a fraction of its later speed until the
 * serving path is compiled, so a speed that stopped setting records while
 * compilation went quiet is what "warm" means to a client; a dip and a
 * recovery (a GC pause, a neighbour on the core) set no record.
 */
final class Steadiness {

    static final long WINDOW_MS = 250;
    static final int WINDOWS_PER_SECOND = (int) (1000 / WINDOW_MS);
    static final double GROWTH = 0.10;
    static final int FLAT_SECONDS = 2;
    static final double COMPILING = 0.10;

    private final List<Long> windows = new ArrayList<>();
    private final List<Long> compileMillis = new ArrayList<>();
    /** The best second ending at or before each window. */
    private final List<Long> best = new ArrayList<>();

    /**
     * Records one window: what was served in it and the JIT's total
     * compilation time so far (ms; -1 where the JVM does not say).
     *
     * @return whether the server is steady now
     */
    boolean add(long served, long totalCompileMillis) {
        windows.add(served);
        compileMillis.add(totalCompileMillis);
        long last = lastSecond();
        best.add(Math.max(last, best.isEmpty() ? 0 : best.get(best.size() - 1)));
        return steady();
    }

    /** What was served in each whole second so far, and the JIT's milliseconds in each: for the log. */
    String perSecond() {
        StringBuilder served = new StringBuilder();
        StringBuilder jit = new StringBuilder();
        for (int end = WINDOWS_PER_SECOND; end <= windows.size(); end += WINDOWS_PER_SECOND) {
            long sum = 0;
            for (int i = end - WINDOWS_PER_SECOND; i < end; i++) {
                sum += windows.get(i);
            }
            long from = end == WINDOWS_PER_SECOND ? -1 : compileMillis.get(end - WINDOWS_PER_SECOND - 1);
            long to = compileMillis.get(end - 1);
            served.append(served.length() == 0 ? "" : " ").append(sum);
            jit.append(jit.length() == 0 ? "" : " ").append(from < 0 || to < 0 ? "?" : Long.toString(to - from));
        }
        return "served per second [" + served + "], JIT ms per second [" + jit + "]";
    }

    /** What was served over the last second. */
    long lastSecond() {
        long sum = 0;
        for (int i = Math.max(0, windows.size() - WINDOWS_PER_SECOND); i < windows.size(); i++) {
            sum += windows.get(i);
        }
        return sum;
    }

    boolean steady() {
        int n = windows.size();
        if (n < (FLAT_SECONDS + 1) * WINDOWS_PER_SECOND) {
            return false;
        }
        long now = best.get(n - 1);
        long before = best.get(n - 1 - FLAT_SECONDS * WINDOWS_PER_SECOND);
        if (before == 0 || now > (1 + GROWTH) * before || 2 * lastSecond() < now) {
            return false;
        }
        long compiledNow = compileMillis.get(n - 1);
        long compiledThen = compileMillis.get(n - 1 - WINDOWS_PER_SECOND);
        return compiledNow < 0 || compiledThen < 0 || compiledNow - compiledThen <= COMPILING * 1000;
    }
}
