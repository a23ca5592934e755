package dev.gantry.scan;

import java.util.concurrent.Semaphore;

/**
 * The heap that layer scans may take together ({@code hardware.scanMemory}),
 * shared by every scan of one scanner. A scan is admitted with
 * {@link #PER_SCAN} bytes (its buffers: the tar buffer, the in-heap ELF
 * buffer, the code window), waiting while other scans hold the budget; what
 * it records as it goes (paths, links, findings) is charged a
 * {@link #CHUNK} at a time, without waiting, and a scan whose findings would
 * outgrow what is left stops there, partial, with the reason. An ELF file
 * over the in-heap buffer is read onto the heap only when the budget lends
 * its size at once ({@link Reservation#borrow}), else it is read through a
 * mapping of a spooled copy, off the heap. The function table and reference
 * graph of the ELF file being analysed are charged while it is, and released
 * after.
 *
 * <p>Thread-safe.
 */
public final class ScanMemory {
    /** Fixed heap of one scan: a 64 KiB tar buffer, the in-heap ELF buffer (16 MiB at most), a 1 MiB code window, slack. */
    public static final long PER_SCAN = 18L << 20;
    /** Granularity of the findings' charges. */
    static final long CHUNK = 1L << 20;
    /** The default budget: a few concurrent scans (3) of layers with many thousands of paths each. */
    public static final long DEFAULT = 64L << 20;

    private static final int KIB = 1024;

    private final long bytes;
    private final Semaphore kib;

    /** @param bytes the budget; at least {@link #PER_SCAN} plus one {@link #CHUNK} */
    public ScanMemory(long bytes) {
        if (bytes < PER_SCAN + CHUNK || bytes / KIB > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("scan memory must be between " + (PER_SCAN + CHUNK) + " bytes and 2 TiB");
        }
        this.bytes = bytes;
        this.kib = new Semaphore((int) (bytes / KIB), true);
    }

    private static int kibOf(long n) {
        return (int) ((n + KIB - 1) / KIB);
    }

    /** The budget in bytes. */
    public long bytes() {
        return bytes;
    }

    /** Bytes not held by any scan now. */
    public long available() {
        return (long) kib.availablePermits() * KIB;
    }

    /** Admits a scan: blocks until its {@link #PER_SCAN} bytes are free. Close the result when the scan ends. */
    Reservation admit() throws InterruptedException {
        kib.acquire((int) (PER_SCAN / KIB));
        return new Reservation();
    }

    /** One scan's share of the budget; used by one thread. */
    final class Reservation implements AutoCloseable {
        private long held = PER_SCAN;
        private long used = PER_SCAN;
        private boolean closed;

        /**
         * Charges {@code n} more bytes of findings.
         *
         * @return false when the budget has no room for them (nothing is charged then)
         */
        boolean charge(long n) {
            while (used + n > held) {
                if (!kib.tryAcquire((int) (CHUNK / KIB))) {
                    return false;
                }
                held += CHUNK;
            }
            used += n;
            return true;
        }

        /** Gives back {@code n} bytes charged earlier (working memory of one file, once it is analysed). */
        void release(long n) {
            used = Math.max(PER_SCAN, used - n);
        }

        /**
         * Lends {@code n} bytes for one file's contents if the budget has them now,
         * without waiting; give them back with {@link #giveBack} once the file is
         * analysed.
         *
         * @return false when the budget has no room now (nothing is taken then)
         */
        boolean borrow(long n) {
            return n > 0 && n / KIB < Integer.MAX_VALUE && kib.tryAcquire(kibOf(n));
        }

        /** Returns what {@link #borrow} lent. */
        void giveBack(long n) {
            kib.release(kibOf(n));
        }

        long used() {
            return used;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                kib.release((int) (held / KIB));
            }
        }
    }
}
