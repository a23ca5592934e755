package dev.gantry.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Waiting on a condition, bounded, instead of sleeping and hoping: a test
 * that sleeps and then asserts passes on a slow machine without checking
 * anything, and wastes time on a fast one.
 */
public final class Awaits {

    private static final long POLL_NANOS = 20_000_000L;

    private Awaits() {
    }

    /**
     * Asks {@code probe} until its answer satisfies {@code done}, and returns
     * that answer; fails the test with the last answer after {@code within}.
     * Exceptions from the probe count as "not yet".
     */
    public static <T> T until(Supplier<T> probe, Predicate<T> done, Duration within) {
        long deadline = System.nanoTime() + within.toNanos();
        T last = null;
        RuntimeException lastError = null;
        while (true) {
            try {
                last = probe.get();
                if (done.test(last)) {
                    return last;
                }
            } catch (RuntimeException e) {
                lastError = e;
            }
            if (System.nanoTime() > deadline) {
                fail("not within " + within + "; last answer: " + last
                        + (lastError == null ? "" : "; last error: " + lastError), lastError);
            }
            pause();
        }
    }

    /** Waits until {@code condition} holds; fails the test after {@code within}. */
    public static void until(BooleanSupplier condition, Duration within, String what) {
        long deadline = System.nanoTime() + within.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail(what + ": not within " + within);
            }
            pause();
        }
    }

    private static void pause() {
        try {
            Thread.sleep(POLL_NANOS / 1_000_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting", e);
        }
    }
}
