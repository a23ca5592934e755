package dev.gantry.storage;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.NavigableSet;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListSet;

/**
 * The shared metadata store, with records this replica still owes the bucket
 * read from its local copy: hosted records pushed while it ran on its disk
 * alone, which a seed is copying into the bucket now. Until a record is
 * written there (or the bucket turns out to hold one of its own, which wins),
 * {@link #getShared}, {@link #existsShared} and {@link #listShared} answer
 * with the local copy where the bucket has none, so this replica serves what
 * it was pushed while the seed runs. Everything else is the wrapped store's.
 *
 * <p>A record stops being owed when the seed settles it ({@link #settle}) or
 * when this replica writes or deletes it (a push or a delete here is newer
 * than the local copy); either is recorded in the {@link SeedJournal}, so no
 * later seed offers it again. A seed's write and this replica's own write of
 * one key never interleave.
 */
public final class LocalUntilSeeded implements MetadataStore {

    private final MetadataStore shared;
    private final MetadataStore local;
    private final SeedJournal journal;
    private final NavigableSet<String> owed = new ConcurrentSkipListSet<>();
    private final Object[] keyLocks = new Object[64];

    /**
     * @param shared the store every read and write goes to (disk in front of the bucket)
     * @param local this replica's own copy, which the seed reads from
     */
    public LocalUntilSeeded(MetadataStore shared, MetadataStore local, SeedJournal journal) {
        this.shared = shared;
        this.local = local;
        this.journal = journal;
        for (int i = 0; i < keyLocks.length; i++) {
            keyLocks[i] = new Object();
        }
    }

    /** Where the seed's progress is recorded. */
    public SeedJournal journal() {
        return journal;
    }

    /** Keys this replica holds locally and owes the bucket; call before it serves. */
    public void owe(Collection<String> keys) {
        owed.addAll(keys);
    }

    /** Records still owed. */
    public int owed() {
        return owed.size();
    }

    /** A write of the seed, run while its key is locked. */
    @FunctionalInterface
    public interface SeedWrite {
        void run() throws IOException;
    }

    /**
     * Runs {@code write} unless a write of this replica overtook {@code key},
     * then stops owing it; the key stays owed if {@code write} fails.
     *
     * @return whether {@code write} ran
     */
    public boolean settle(String key, SeedWrite write) throws IOException {
        synchronized (lock(key)) {
            if (!owed.contains(key)) {
                return false;
            }
            write.run();
            journal.settle(key);
            owed.remove(key);
            return true;
        }
    }

    @Override
    public Optional<byte[]> getShared(String key) throws IOException {
        boolean wasOwed = owed.contains(key);
        Optional<byte[]> there = shared.getShared(key);
        return there.isEmpty() && wasOwed ? local.get(key) : there;
    }

    @Override
    public Optional<Boolean> sharedHolds(String key) throws IOException {
        return shared.sharedHolds(key);
    }

    @Override
    public boolean existsShared(String key) throws IOException {
        boolean wasOwed = owed.contains(key);
        return shared.existsShared(key) || wasOwed && local.exists(key);
    }

    @Override
    public List<String> listShared(String prefix) throws IOException {
        List<String> mine = owedUnder(prefix, false);
        return withOwed(shared.listShared(prefix), mine);
    }

    @Override
    public List<String> listSharedRecursive(String prefix) throws IOException {
        List<String> mine = owedUnder(prefix, true);
        return withOwed(shared.listSharedRecursive(prefix), mine);
    }

    /** The shared copy's names and the owed ones (read first: a record settled meanwhile is in the first). */
    private static List<String> withOwed(List<String> names, List<String> mine) {
        if (mine.isEmpty()) {
            return names;
        }
        TreeSet<String> all = new TreeSet<>(names);
        all.addAll(mine);
        return new ArrayList<>(all);
    }

    /**
     * The shared copy's entries, as the store it wraps lists them: a record
     * still owed is on this disk alone, and its etag would not compare with
     * the bucket's.
     */
    @Override
    public List<MetadataStoreEntry> listEntries(String prefix) throws IOException {
        return shared.listEntries(prefix);
    }

    /** Owed names under {@code prefix} (directly, or at any depth), relative to it. */
    private List<String> owedUnder(String prefix, boolean anyDepth) {
        List<String> names = new ArrayList<>();
        for (String key : owed.subSet(prefix, true, prefix + Character.MAX_VALUE, false)) {
            String name = key.substring(prefix.length());
            if (anyDepth || name.indexOf('/') < 0) {
                names.add(name);
            }
        }
        return names;
    }

    @Override
    public void putShared(String key, byte[] value) throws IOException {
        overtaking(key, () -> shared.putShared(key, value));
    }

    @Override
    public boolean deleteShared(String key) throws IOException {
        boolean[] existed = new boolean[1];
        overtaking(key, () -> existed[0] = shared.deleteShared(key));
        return existed[0];
    }

    @Override
    public void put(String key, byte[] value) throws IOException {
        overtaking(key, () -> shared.put(key, value));
    }

    @Override
    public boolean delete(String key) throws IOException {
        boolean[] existed = new boolean[1];
        overtaking(key, () -> existed[0] = shared.delete(key));
        return existed[0];
    }

    /** This replica's own write of a key: the local copy it overtakes is no longer the seed's to offer. */
    private void overtaking(String key, SeedWrite write) throws IOException {
        // Keys are owed only before serving starts, so a key not owed now never will be.
        if (!owed.contains(key)) {
            write.run();
            return;
        }
        synchronized (lock(key)) {
            write.run();
            if (owed.remove(key)) {
                journal.settle(key);
            }
        }
    }

    private Object lock(String key) {
        return keyLocks[Math.floorMod(key.hashCode(), keyLocks.length)];
    }

    @Override
    public Optional<byte[]> get(String key) throws IOException {
        return shared.get(key);
    }

    @Override
    public Optional<byte[]> getLatest(String key) throws IOException {
        return shared.getLatest(key);
    }

    @Override
    public boolean shared() {
        return shared.shared();
    }

    @Override
    public boolean exists(String key) throws IOException {
        return shared.exists(key);
    }

    /** The wrapped store's: an owed key is held locally, so this never writes one. */
    @Override
    public void putIfAbsent(String key, byte[] value) throws IOException {
        shared.putIfAbsent(key, value);
    }

    /** The wrapped store's: a record another replica wrote to the bucket is no seed's to offer. */
    @Override
    public void putHere(String key, byte[] value) throws IOException {
        shared.putHere(key, value);
    }

    @Override
    public List<String> list(String prefix) throws IOException {
        return shared.list(prefix);
    }

    @Override
    public List<String> listRecursive(String prefix) throws IOException {
        return shared.listRecursive(prefix);
    }
}
