package dev.gantry.registry;

import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The progress deadline of one fill: it expires when the source has not
 * answered within {@link FillLimits#firstAnswer()}, or, once it answered,
 * when no body byte arrived or was written for {@link FillLimits#idle()}.
 * Enforced on the fill itself rather than trusted to the connection, so a
 * fill ends even if its transport lost track of it.
 *
 * <p>One timer at a time, re-armed lazily: progress only records a time, and
 * the timer, when it fires early, sleeps again for what is left. Thread-safe.
 */
final class FillDeadline {

    /** No deadline (tests that drive a fill by hand). */
    static final FillDeadline NONE = new FillDeadline(null, null, System::nanoTime, FillLimits.DEFAULT);

    private final ScheduledExecutorService timers;
    private final Executor work;
    private final LongSupplier nanoTime;
    private final FillLimits limits;

    private volatile long lastProgress;
    private volatile boolean answered;
    private Runnable onExpiry;
    private ScheduledFuture<?> timer;
    private boolean stopped;

    /**
     * @param timers runs the timer only; the expiry itself runs on {@code work}
     * @param nanoTime a monotonic clock in the timers' time (real time)
     */
    FillDeadline(ScheduledExecutorService timers, Executor work, LongSupplier nanoTime, FillLimits limits) {
        this.timers = timers;
        this.work = work;
        this.nanoTime = nanoTime;
        this.limits = limits;
    }

    FillLimits limits() {
        return limits;
    }

    /** Starts the clock; {@code expiry} runs once if the deadline passes before {@link #stop()}. */
    synchronized void start(Runnable expiry) {
        if (timers == null || stopped) {
            return;
        }
        onExpiry = expiry;
        lastProgress = nanoTime.getAsLong();
        arm(limits.firstAnswer().toNanos());
    }

    /** The source answered: from now on the idle limit applies (re-armed, as it is shorter). */
    synchronized void answered() {
        lastProgress = nanoTime.getAsLong();
        answered = true;
        if (timer != null && !stopped) {
            timer.cancel(false);
            arm(limits.idle().toNanos());
        }
    }

    /** Body bytes arrived or were written. */
    void progress() {
        lastProgress = nanoTime.getAsLong();
    }

    /** The fill ended: the deadline no longer applies. */
    synchronized void stop() {
        stopped = true;
        onExpiry = null;
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    /** What the fill waited for when the deadline passed, for the error message. */
    String describe() {
        return answered
                ? "no bytes for " + seconds(limits.idle())
                : "no answer from the source within " + seconds(limits.firstAnswer());
    }

    private void arm(long delayNanos) {
        try {
            timer = timers.schedule(() -> work.execute(this::check), Math.max(delayNanos, 1), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            timer = null; // the process is stopping, and every fill with it
        }
    }

    private void check() {
        Runnable expired;
        synchronized (this) {
            if (stopped) {
                return;
            }
            long limit = (answered ? limits.idle() : limits.firstAnswer()).toNanos();
            long left = lastProgress + limit - nanoTime.getAsLong();
            if (left > 0) {
                arm(left);
                return;
            }
            expired = onExpiry;
            stopped = true;
            onExpiry = null;
            timer = null;
        }
        if (expired != null) {
            expired.run();
        }
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }
}
