package dev.gantry.storage;

import dev.gantry.oci.Digest;
import dev.gantry.oci.RegistryException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The disk tier's in-memory index: size and last access of every blob under
 * {@code <root>/blobs}, and the bytes they use. Rebuilt from the directory at
 * start-up (a file's modification time is its persisted last access), so a
 * stat never touches the disk. Thread-safe.
 */
final class DiskIndex {

    private static final Logger log = LoggerFactory.getLogger(DiskIndex.class);

    private final Map<Digest, Entry> entries = new ConcurrentHashMap<>();
    private final AtomicLong used = new AtomicLong();

    /** Indexes the blob files present under {@code blobs}, ignoring files whose names are no digest. */
    void load(Path blobs) throws IOException {
        try (Stream<Path> files = Files.walk(blobs, 3)) {
            files.forEach(f -> indexExisting(blobs, f));
        }
    }

    private void indexExisting(Path blobs, Path file) {
        Path relative = blobs.relativize(file);
        if (relative.getNameCount() != 3) {
            return;
        }
        Digest digest;
        try {
            digest = Digest.parse(relative.getName(0) + ":" + relative.getName(2));
        } catch (RegistryException e) {
            log.warn("ignoring {}: not a blob file name", file);
            return;
        }
        try {
            BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class);
            if (attrs.isRegularFile()) {
                long access = attrs.lastModifiedTime().toMillis();
                entries.put(digest, new Entry(attrs.size(), access, access));
                used.addAndGet(attrs.size());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The entry of a stored blob, or null. */
    Entry get(Digest digest) {
        return entries.get(digest);
    }

    /** Records a blob just stored, accessed {@code now}. */
    void stored(Digest digest, long size, long now) {
        Entry previous = entries.put(digest, new Entry(size, now, now));
        if (previous == null) {
            used.addAndGet(size);
        }
    }

    /** Forgets a blob (deleted or found missing). */
    void remove(Digest digest) {
        Entry removed = entries.remove(digest);
        if (removed != null) {
            used.addAndGet(-removed.size);
        }
    }

    List<StoredBlob> list() {
        List<StoredBlob> out = new ArrayList<>(entries.size());
        entries.forEach((d, e) -> out.add(new StoredBlob(d, e.size, Instant.ofEpochMilli(e.lastAccess))));
        return out;
    }

    int count() {
        return entries.size();
    }

    long usedBytes() {
        return used.get();
    }

    /** Index entry. Access times are racy by design: a lost update only blurs LRU order. */
    static final class Entry {
        final long size;
        volatile long lastAccess;
        volatile long persistedAccess;

        Entry(long size, long lastAccess, long persistedAccess) {
            this.size = size;
            this.lastAccess = lastAccess;
            this.persistedAccess = persistedAccess;
        }
    }
}
