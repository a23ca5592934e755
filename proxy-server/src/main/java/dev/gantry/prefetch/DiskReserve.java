package dev.gantry.prefetch;

import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Keeps prefetch from taking the disk space clients' pulls need: a prefetch
 * fill may start only if the file system would still have {@code reserve}
 * bytes free once it and every other prefetch fill that was let in and has
 * not finished are written. Those fills' bytes are counted whole until
 * released, even the part already on disk (and so already missing from the
 * free space): an overestimate, on the safe side.
 *
 * <p>Thread-safe. {@link #claim} asks the file system: call it off the event loop.
 */
public final class DiskReserve {

    private final long reserve;
    private final LongSupplier free;
    private long claimed;

    /**
     * @param reserve bytes to leave free
     * @param free the file system's free bytes now
     */
    public DiskReserve(long reserve, LongSupplier free) {
        this.reserve = reserve;
        this.free = Objects.requireNonNull(free, "free");
    }

    /** Claims room for a fill of {@code size} bytes; false, claiming nothing, if there is not enough. */
    public boolean claim(long size) {
        long n = Math.max(size, 0);
        long available = free.getAsLong();
        synchronized (this) {
            if (available - claimed - n < reserve) {
                return false;
            }
            claimed += n;
            return true;
        }
    }

    /** Gives back what {@link #claim} took for a fill that finished (or never started). */
    public synchronized void release(long size) {
        claimed -= Math.max(size, 0);
    }

    /** Bytes claimed by fills not yet released. */
    public synchronized long claimed() {
        return claimed;
    }
}
