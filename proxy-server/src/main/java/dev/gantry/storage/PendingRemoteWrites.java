package dev.gantry.storage;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The writes of a {@link TieredMetadataStore} that its local copy holds and
 * the shared copy does not yet: sent in the background, kept while they
 * fail, replayed by {@link #retry()}. Until one lands, the local copy is the
 * newer for its key, which is what the store's reads and listings ask here.
 * Thread-safe.
 */
final class PendingRemoteWrites {

    private final MetadataStore remote;
    private final RemoteHealth health;
    private final Executor background;
    /** Key → value to write, or empty for a delete. */
    private final Map<String, Optional<byte[]>> pending = new ConcurrentHashMap<>();
    /**
     * Remote writes of one key run one at a time (the background pool may run
     * two at once) and each writes the key's latest pending value, so the
     * shared copy ends with the last write, whatever order they run in.
     */
    private final Object[] keyLocks = new Object[64];
    /**
     * Guards what a key's writes change here (the local copy and what is owed) for a moment, never
     * across a remote request: a local write never waits for the shared copy (S3 can take its
     * timeout to answer).
     */
    private final Object[] stateLocks = new Object[64];
    /** Local writes so far of the keys behind each state lock: what a read of the shared copy may not undo. */
    private final AtomicLongArray localWrites = new AtomicLongArray(64);

    PendingRemoteWrites(MetadataStore remote, RemoteHealth health, Executor background) {
        this.remote = remote;
        this.health = health;
        this.background = background;
        for (int i = 0; i < keyLocks.length; i++) {
            keyLocks[i] = new Object();
            stateLocks[i] = new Object();
        }
    }

    /** The lock under which the key's remote writes, queued or synchronous, run. */
    Object lock(String key) {
        return keyLocks[Math.floorMod(key.hashCode(), keyLocks.length)];
    }

    /**
     * The lock under which a key's local copy and its owed write change together; held only for
     * local work, and taken inside {@link #lock} where both are held.
     */
    Object stateLock(String key) {
        return stateLocks[stripe(key)];
    }

    /** Counts a local write of {@code key}. Call under {@link #stateLock}. */
    void wroteLocally(String key) {
        localWrites.incrementAndGet(stripe(key));
    }

    /**
     * Local writes so far of {@code key} and the keys that share its lock: unchanged across a read of
     * the shared copy, no write of the key came meanwhile (not even one already sent).
     */
    long localWrites(String key) {
        return localWrites.get(stripe(key));
    }

    private int stripe(String key) {
        return Math.floorMod(key.hashCode(), stateLocks.length);
    }

    /** Records that the shared copy owes {@code value} for {@code key} (empty: a delete); {@link #send} sends it. */
    void owe(String key, Optional<byte[]> value) {
        pending.put(key, value);
    }

    /** Sends the key's latest owed write in the background. */
    void send(String key) {
        background.execute(() -> write(key));
    }

    /** Forgets what is owed for {@code key}: a newer synchronous write replaced it. Call under {@link #lock} and {@link #stateLock}. */
    void drop(String key) {
        pending.remove(key);
    }

    /** Whether a write of {@code key} has not reached the shared copy yet. */
    boolean owes(String key) {
        return pending.containsKey(key);
    }

    /** Names under {@code prefix} (directly, or at any depth) with a write owed: deletes or puts. */
    List<String> names(String prefix, boolean anyDepth, boolean deletes) {
        List<String> names = new ArrayList<>();
        pending.forEach((key, value) -> {
            if (value.isEmpty() == deletes && key.startsWith(prefix)) {
                String name = key.substring(prefix.length());
                if (anyDepth || name.indexOf('/') < 0) {
                    names.add(name);
                }
            }
        });
        return names;
    }

    /**
     * Writes the key's latest owed value remotely; it stays owed (for
     * {@link #retry()}) if that fails. Nothing to do when an earlier task
     * already wrote it.
     */
    private void write(String key) {
        synchronized (lock(key)) {
            Optional<byte[]> value = pending.get(key);
            if (value == null || !health.available()) {
                return;
            }
            try {
                if (value.isPresent()) {
                    remote.put(key, value.get());
                } else {
                    remote.delete(key);
                }
                synchronized (stateLock(key)) {
                    pending.remove(key, value);
                }
            } catch (IOException | RuntimeException e) {
                health.failure("writing " + key, e);
            }
        }
    }

    /** Replays the writes that failed, while the shared copy is reachable. Blocks. */
    void retry() {
        for (String key : Map.copyOf(pending).keySet()) {
            if (!health.available()) {
                return;
            }
            write(key);
        }
    }

    int size() {
        return pending.size();
    }
}
