package dev.gantry.storage;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.Executor;

/**
 * Metadata on local disk in front of the shared S3 copy. Reads try the local
 * copy first (and keep what they fetch remotely); writes go to both. When S3
 * fails, the local copy carries on and the remote write is retried later
 * ({@link #retryPending()}): no cached record fails a request because S3 is
 * down. What a push acknowledges is written with {@link #putShared} and
 * {@link #deleteShared} instead: shared copy first, synchronously, so every
 * replica reads it at once (and the push fails if S3 does), and read back
 * with {@link #getShared}.
 */
public final class TieredMetadataStore implements MetadataStore {

    private final MetadataStore local;
    private final MetadataStore remote;
    private final RemoteHealth health;
    private final PendingRemoteWrites pending;

    /** @param background runs remote writes, so a slow S3 never delays a response */
    public TieredMetadataStore(MetadataStore local, MetadataStore remote, RemoteHealth health,
                               Executor background) {
        this.local = local;
        this.remote = remote;
        this.health = health;
        this.pending = new PendingRemoteWrites(remote, health, background);
    }

    @Override
    public Optional<byte[]> get(String key) throws IOException {
        Optional<byte[]> here = local.get(key);
        // While a write of the key is pending, the local copy is the newer one: a pending
        // delete must not be undone by the shared copy it has not reached yet.
        return here.isPresent() || pending.owes(key) ? here : fetchRemote(key, Optional.empty());
    }

    @Override
    public Optional<byte[]> getLatest(String key) throws IOException {
        Optional<byte[]> here = local.get(key);
        return pending.owes(key) ? here : fetchRemote(key, here);
    }

    /** The shared copy's record when it has one (kept here too), else {@code fallback}. */
    private Optional<byte[]> fetchRemote(String key, Optional<byte[]> fallback) throws IOException {
        Optional<byte[]> there = sharedCopy(key, () -> fallback);
        return there.isPresent() ? there : fallback;
    }

    @Override
    public Optional<byte[]> getShared(String key) throws IOException {
        return sharedCopy(key, () -> local.get(key));
    }

    /** A read of this replica's own copy. */
    @FunctionalInterface
    private interface LocalRead {
        Optional<byte[]> get() throws IOException;
    }

    /**
     * What the shared copy holds for {@code key} (a record it holds is kept
     * here too); {@code cannotSay} when it cannot tell: S3 is unwell or the
     * read failed (the failure recorded), or a write of this replica to the
     * key is still queued, which is newer than the shared copy.
     */
    private Optional<byte[]> sharedCopy(String key, LocalRead cannotSay) throws IOException {
        if (health.available()) {
            try {
                long writesBefore = pending.localWrites(key);
                Optional<byte[]> there = remote.get(key);
                synchronized (pending.stateLock(key)) {
                    if (!pending.owes(key)) {
                        // Kept here only if no write of this replica came meanwhile: one of this key,
                        // even one already sent, is newer than what was read.
                        if (there.isPresent() && pending.localWrites(key) == writesBefore) {
                            local.put(key, there.get());
                        }
                        return there;
                    }
                }
            } catch (IOException | RuntimeException e) {
                health.failure("reading " + key, e);
            }
        }
        return cannotSay.get();
    }

    @Override
    public boolean existsShared(String key) throws IOException {
        if (!health.available() || pending.owes(key)) {
            return local.exists(key);
        }
        try {
            return remote.exists(key);
        } catch (IOException | RuntimeException e) {
            health.failure("reading " + key, e);
            return local.exists(key);
        }
    }

    @Override
    public Optional<Boolean> sharedHolds(String key) throws IOException {
        if (pending.owes(key)) {
            return Optional.of(true);
        }
        if (!health.available()) {
            return Optional.empty();
        }
        try {
            return Optional.of(remote.exists(key));
        } catch (IOException | RuntimeException e) {
            health.failure("reading " + key, e);
            return Optional.empty();
        }
    }

    @Override
    public boolean shared() {
        return true;
    }

    @Override
    public boolean exists(String key) throws IOException {
        if (local.exists(key)) {
            return true;
        }
        return get(key).isPresent();
    }

    @Override
    public void put(String key, byte[] value) throws IOException {
        synchronized (pending.stateLock(key)) {
            pending.wroteLocally(key);
            local.put(key, value);
            pending.owe(key, Optional.of(value));
        }
        pending.send(key);
    }

    @Override
    public void putIfAbsent(String key, byte[] value) throws IOException {
        if (!local.exists(key)) {
            put(key, value);
        }
    }

    /** Local only, unless a write of the key is owed to the shared copy: then it is queued like any other. */
    @Override
    public void putHere(String key, byte[] value) throws IOException {
        boolean queued;
        // Not the key's write lock: a shared write of the key (or of another key behind the same lock)
        // in flight would hold a client's request for as long as S3 takes to answer.
        synchronized (pending.stateLock(key)) {
            pending.wroteLocally(key);
            queued = pending.owes(key);
            local.put(key, value);
            if (queued) {
                pending.owe(key, Optional.of(value));
            }
        }
        if (queued) {
            pending.send(key);
        }
    }

    @Override
    public boolean delete(String key) throws IOException {
        // Pending first: a read in between must not fetch the record back from the shared copy.
        boolean here;
        synchronized (pending.stateLock(key)) {
            pending.wroteLocally(key);
            pending.owe(key, Optional.empty());
            here = local.delete(key);
        }
        pending.send(key);
        return here;
    }

    /**
     * Writes the shared copy first, then the local one; a queued write of the
     * key is dropped (it is older). When the shared write fails, nothing
     * changed here and the caller is told.
     */
    @Override
    public void putShared(String key, byte[] value) throws IOException {
        synchronized (pending.lock(key)) {
            writeShared(key, () -> {
                remote.put(key, value);
                return true;
            });
            synchronized (pending.stateLock(key)) {
                pending.wroteLocally(key);
                pending.drop(key);
                local.put(key, value);
            }
        }
    }

    @Override
    public boolean deleteShared(String key) throws IOException {
        synchronized (pending.lock(key)) {
            boolean there = writeShared(key, () -> remote.delete(key));
            synchronized (pending.stateLock(key)) {
                pending.wroteLocally(key);
                pending.drop(key);
                return local.delete(key) || there;
            }
        }
    }

    private interface SharedWrite {
        boolean run() throws IOException;
    }

    private boolean writeShared(String key, SharedWrite write) throws SharedWriteException {
        try {
            return write.run();
        } catch (IOException | RuntimeException e) {
            health.failure("writing " + key, e);
            throw new SharedWriteException("cannot write " + key + " to the shared bucket: " + e.getMessage(), e);
        }
    }

    @Override
    public List<String> list(String prefix) throws IOException {
        TreeSet<String> names = new TreeSet<>(local.list(prefix));
        if (health.available()) {
            try {
                names.addAll(remote.list(prefix));
            } catch (IOException | RuntimeException e) {
                health.failure("listing " + prefix, e);
            }
        }
        names.removeAll(pending.names(prefix, false, true));
        return new ArrayList<>(names);
    }

    @Override
    public List<String> listRecursive(String prefix) throws IOException {
        TreeSet<String> names = new TreeSet<>(local.listRecursive(prefix));
        if (health.available()) {
            try {
                names.addAll(remote.listRecursive(prefix));
            } catch (IOException | RuntimeException e) {
                health.failure("listing " + prefix, e);
            }
        }
        names.removeAll(pending.names(prefix, true, true));
        return new ArrayList<>(names);
    }

    /**
     * The shared copy's names; a write of this replica still queued counts as
     * done (it is newer). Local names the shared copy lacks are left out: the
     * local copy keeps records another replica deleted.
     */
    @Override
    public List<String> listShared(String prefix) throws IOException {
        if (health.available()) {
            try {
                return sharedNames(prefix, false);
            } catch (IOException | RuntimeException e) {
                health.failure("listing " + prefix, e);
            }
        }
        TreeSet<String> names = new TreeSet<>(local.list(prefix));
        names.removeAll(pending.names(prefix, false, true));
        return new ArrayList<>(names);
    }

    /**
     * The shared copy's names at any depth; unlike {@link #listShared}, never
     * the local copy's: it answers "which of these are still there", which the
     * local copy (keeping what other replicas deleted) cannot.
     *
     * @throws IOException when the shared copy cannot be listed now
     */
    @Override
    public List<String> listSharedRecursive(String prefix) throws IOException {
        if (!health.available()) {
            throw new IOException("the shared copy cannot be listed now (" + prefix + ")");
        }
        try {
            return sharedNames(prefix, true);
        } catch (IOException | RuntimeException e) {
            health.failure("listing " + prefix, e);
            throw e instanceof IOException io ? io : new IOException("listing " + prefix + " failed", e);
        }
    }

    private List<String> sharedNames(String prefix, boolean anyDepth) throws IOException {
        TreeSet<String> names = new TreeSet<>(anyDepth ? remote.listRecursive(prefix) : remote.list(prefix));
        names.addAll(pending.names(prefix, anyDepth, false));
        names.removeAll(pending.names(prefix, anyDepth, true));
        return new ArrayList<>(names);
    }

    /**
     * The shared copy's entries; the local copy's only when the shared one
     * cannot be listed (etags of the two copies are not comparable). Writes of
     * this replica still queued are not shown.
     */
    @Override
    public List<MetadataStoreEntry> listEntries(String prefix) throws IOException {
        if (health.available()) {
            try {
                return remote.listEntries(prefix);
            } catch (IOException | RuntimeException e) {
                health.failure("listing " + prefix, e);
            }
        }
        return local.listEntries(prefix);
    }

    /** Replays remote writes that failed; called periodically. Blocks. */
    public void retryPending() {
        pending.retry();
    }

    /** Remote writes waiting for a retry. */
    public int pendingWrites() {
        return pending.size();
    }
}
