package dev.gantry.testing;

import dev.gantry.storage.MetadataStore;
import dev.gantry.storage.MetadataStoreEntry;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link MetadataStore} that passes every call to another and counts them
 * as the bucket would bill them: {@code GET} (get, getLatest, getShared),
 * {@code HEAD} (exists), {@code PUT}, {@code DELETE}, {@code LIST} (any
 * listing), each per key or prefix too. For tests that assert what a caller
 * costs, e.g. that a poll reads nothing when nothing changed. Thread-safe.
 */
public final class CountingMetadataStore implements MetadataStore {

    private final MetadataStore inner;
    private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
    private final Map<String, Runnable> beforeListing = new ConcurrentHashMap<>();

    /** Runs {@code action} once, just before the first recursive listing of {@code prefix}: what happened meanwhile. */
    public void beforeListing(String prefix, Runnable action) {
        beforeListing.put(prefix, action);
    }

    public CountingMetadataStore(MetadataStore inner) {
        this.inner = Objects.requireNonNull(inner, "inner");
    }

    private void counted(String request, String key) {
        counts.computeIfAbsent(request, k -> new AtomicInteger()).incrementAndGet();
        counts.computeIfAbsent(request + " " + key, k -> new AtomicInteger()).incrementAndGet();
    }

    /** How many requests of this kind ({@code GET}, {@code PUT}, {@code LIST}, {@code HEAD}, {@code DELETE}) it passed on. */
    public int count(String request) {
        AtomicInteger n = counts.get(request);
        return n == null ? 0 : n.get();
    }

    /** How many requests of this kind it passed on for {@code key} (a listing: its prefix). */
    public int count(String request, String key) {
        return count(request + " " + key);
    }

    @Override
    public Optional<byte[]> get(String key) throws IOException {
        counted("GET", key);
        return inner.get(key);
    }

    @Override
    public Optional<byte[]> getLatest(String key) throws IOException {
        counted("GET", key);
        return inner.getLatest(key);
    }

    @Override
    public Optional<byte[]> getShared(String key) throws IOException {
        counted("GET", key);
        return inner.getShared(key);
    }

    @Override
    public boolean exists(String key) throws IOException {
        counted("HEAD", key);
        return inner.exists(key);
    }

    @Override
    public void put(String key, byte[] value) throws IOException {
        counted("PUT", key);
        inner.put(key, value);
    }

    @Override
    public boolean delete(String key) throws IOException {
        counted("DELETE", key);
        return inner.delete(key);
    }

    @Override
    public List<String> list(String prefix) throws IOException {
        counted("LIST", prefix);
        return inner.list(prefix);
    }

    @Override
    public List<String> listShared(String prefix) throws IOException {
        counted("LIST", prefix);
        return inner.listShared(prefix);
    }

    @Override
    public List<String> listRecursive(String prefix) throws IOException {
        counted("LIST", prefix);
        Runnable hook = beforeListing.remove(prefix);
        if (hook != null) {
            hook.run();
        }
        return inner.listRecursive(prefix);
    }

    @Override
    public List<MetadataStoreEntry> listEntries(String prefix) throws IOException {
        counted("LIST", prefix);
        return inner.listEntries(prefix);
    }
}
