package dev.gantry.prefetch;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.ToIntFunction;

/**
 * A bounded queue of prefetch work with two concurrency limits: prefetch
 * tasks running on this replica, and fills (client and prefetch alike) per
 * group (upstream). Client fills are never held back, so prefetch only uses
 * the capacity clients leave. A group that must not be asked now (rate limit)
 * has its queued tasks dropped, not parked. The queue never grows past its
 * capacity: a task that does not fit is skipped and counted.
 *
 * <p>Thread-safe. {@link #poke()} after any fill finishes lets waiting tasks in.
 */
public final class PrefetchScheduler {

    /** One unit of prefetch work, e.g. the fill of one blob. */
    public interface Task {
        /** Whose capacity it uses: the upstream's name. */
        String group();

        /** Identity for de-duplication: a task for the same key is not queued twice. */
        Object key();

        /** Starts the work; the future completes when it is over (however it ended). */
        CompletableFuture<?> run();

        /** Told when the task leaves the queue without running (its group may not be asked now). */
        default void dropped() {
        }
    }

    private final int maxRunning;
    private final int maxPerGroup;
    private final int capacity;
    private final ToIntFunction<String> groupLoad;
    private final Predicate<String> groupAllowed;
    private final Consumer<String> onSkip;
    private final ArrayDeque<Task> queue = new ArrayDeque<>();
    private final Set<Object> keys = new HashSet<>();
    private int running;
    private int maxRunningSeen;

    /**
     * @param groupLoad fills in flight for a group, client fills included
     * @param groupAllowed whether a group may be asked now (not backing off, budget left)
     * @param onSkip told why a task was skipped: {@code queue_full}, {@code rate_limited}
     */
    public PrefetchScheduler(int maxRunning, int maxPerGroup, int capacity, ToIntFunction<String> groupLoad,
                             Predicate<String> groupAllowed, Consumer<String> onSkip) {
        this.maxRunning = maxRunning;
        this.maxPerGroup = maxPerGroup;
        this.capacity = capacity;
        this.groupLoad = Objects.requireNonNull(groupLoad, "groupLoad");
        this.groupAllowed = Objects.requireNonNull(groupAllowed, "groupAllowed");
        this.onSkip = Objects.requireNonNull(onSkip, "onSkip");
    }

    /** Queues a task; returns false if it was a duplicate or did not fit. */
    public boolean submit(Task task) {
        synchronized (this) {
            if (keys.contains(task.key())) {
                return false;
            }
            if (queue.size() >= capacity) {
                onSkip.accept("queue_full");
                return false;
            }
            queue.add(task);
            keys.add(task.key());
        }
        poke();
        return true;
    }

    /** Starts whatever queued tasks the limits now allow. */
    public void poke() {
        List<Task> start = new ArrayList<>();
        List<Task> dropped = new ArrayList<>();
        synchronized (this) {
            for (Iterator<Task> it = queue.iterator(); it.hasNext() && running < maxRunning; ) {
                Task t = it.next();
                if (!groupAllowed.test(t.group())) {
                    it.remove();
                    keys.remove(t.key());
                    onSkip.accept("rate_limited");
                    dropped.add(t);
                    continue;
                }
                if (groupLoad.applyAsInt(t.group()) + countStarting(start, t.group()) >= maxPerGroup) {
                    continue;
                }
                it.remove();
                running++;
                maxRunningSeen = Math.max(maxRunningSeen, running);
                start.add(t);
            }
        }
        dropped.forEach(Task::dropped);
        for (Task t : start) {
            CompletableFuture<?> f;
            try {
                f = t.run();
            } catch (RuntimeException e) {
                f = CompletableFuture.failedFuture(e);
            }
            f.whenComplete((v, e) -> {
                synchronized (this) {
                    running--;
                    keys.remove(t.key());
                }
                poke();
            });
        }
    }

    private static int countStarting(List<Task> start, String group) {
        int n = 0;
        for (Task t : start) {
            if (t.group().equals(group)) {
                n++;
            }
        }
        return n;
    }

    public synchronized int queued() {
        return queue.size();
    }

    public synchronized int running() {
        return running;
    }

    /** The most tasks ever running at once: lets tests see the bound held. */
    public synchronized int maxRunningSeen() {
        return maxRunningSeen;
    }
}
