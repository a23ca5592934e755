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
        return waitFor("a condition", within).until(probe, done);
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

    /**
     * A wait that can also give up early: {@code waitFor("gantry ready", within)
     * .unless(() -> process.isAlive() ? null : "it exited").explain(output).until(...)}.
     * A process that has exited cannot come up, so waiting out the bound for it
     * only hides the reason.
     */
    public static Wait waitFor(String what, Duration within) {
        return new Wait(what, within);
    }

    /** A bounded wait on a condition; see {@link #waitFor}. */
    public static final class Wait {

        private final String what;
        private final Duration within;
        private Supplier<String> gaveUp = () -> null;
        private Supplier<String> context = () -> "";

        private Wait(String what, Duration within) {
            this.what = what;
            this.within = within;
        }

        /** Fails at once, with the reason, when {@code reason} answers non-null. */
        public Wait unless(Supplier<String> reason) {
            this.gaveUp = reason;
            return this;
        }

        /** Adds {@code details} (a process's output, a log) to the failure message. */
        public Wait explain(Supplier<String> details) {
            this.context = details;
            return this;
        }

        /** Waits until {@code condition} holds; exceptions from it count as "not yet". */
        public void until(BooleanSupplier condition) {
            until(condition::getAsBoolean, Boolean::booleanValue);
        }

        /** Asks {@code probe} until {@code done} accepts its answer, and returns that answer. */
        public <T> T until(Supplier<T> probe, Predicate<T> done) {
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
                String reason = gaveUp.get();
                if (reason != null) {
                    fail(what + ": gave up, " + reason + details(), lastError);
                }
                if (System.nanoTime() > deadline) {
                    fail(what + ": not within " + within + "; last answer: " + last
                            + (lastError == null ? "" : "; last error: " + lastError) + details(), lastError);
                }
                pause();
            }
        }

        private String details() {
            String d = context.get();
            return d == null || d.isEmpty() ? "" : "\n" + d;
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
