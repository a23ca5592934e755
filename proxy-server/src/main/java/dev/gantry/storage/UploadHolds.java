package dev.gantry.storage;

import dev.gantry.oci.Digest;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The disk tier's blobs that an upload to the shared tier is reading now, counted per blob: the tier leaves
 * such a file as it is (no eviction, no modification-time write) until every hold on it is released.
 * Thread-safe.
 */
final class UploadHolds {

    private final Map<Digest, Integer> held = new ConcurrentHashMap<>();

    /** Holds {@code digest}; the returned release may run on any thread, and releases once however often it runs. */
    Runnable hold(Digest digest) {
        held.merge(digest, 1, Integer::sum);
        AtomicBoolean released = new AtomicBoolean();
        return () -> {
            if (released.compareAndSet(false, true)) {
                held.computeIfPresent(digest, (d, n) -> n == 1 ? null : n - 1);
            }
        };
    }

    boolean held(Digest digest) {
        return held.containsKey(digest);
    }
}
