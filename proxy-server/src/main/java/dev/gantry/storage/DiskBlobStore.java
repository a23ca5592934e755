package dev.gantry.storage;

import dev.gantry.content.Content;
import dev.gantry.oci.Digest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded disk tier: content-addressed files under
 * {@code <root>/blobs}, written through a spool file that is fsynced and
 * renamed into place only after its digest is verified, so a crash never
 * leaves a partial blob where a reader could find it.
 *
 * <p>An in-memory index ({@link DiskIndex}: size and last access per digest, rebuilt from the
 * directory at start-up) answers {@link #stat} without touching the disk and
 * drives least-recently-used eviction beyond {@code maxBytes}. Access times
 * are written back to the files' modification time at most once per
 * {@link #ACCESS_PERSIST_INTERVAL}, so the order survives a restart.
 *
 * <p>Thread-safe. Blocking work runs on the executor given at construction.
 */
public final class DiskBlobStore implements BlobStore, LocalTier {

    private static final Logger log = LoggerFactory.getLogger(DiskBlobStore.class);

    /** How stale a blob's persisted access time may get. */
    static final Duration ACCESS_PERSIST_INTERVAL = Duration.ofHours(1);
    /** Blobs an upload is reading now: neither evicted nor given a new modification time meanwhile. */
    private final UploadHolds uploading = new UploadHolds();

    /** Eviction frees down to this fraction of {@code maxBytes}, so it does not run on every commit. */
    private static final double LOW_WATERMARK = 0.95;

    private final Path root;
    private final Path spool;
    private final long maxBytes;
    private final Executor blocking;
    private final Clock clock;
    private final OpenFiles openFiles;
    private final DiskIndex index = new DiskIndex();
    private final AtomicBoolean evicting = new AtomicBoolean();
    private volatile Consumer<StoredBlob> evictionListener = b -> { };
    private volatile Predicate<Digest> pinned = d -> false;

    private DiskBlobStore(Path root, long maxBytes, Executor blocking, Clock clock, int openFileCacheSize) {
        this.root = root;
        this.spool = StorageLayout.spoolDir(root);
        this.maxBytes = maxBytes;
        this.blocking = Objects.requireNonNull(blocking, "blocking");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.openFiles = new OpenFiles(openFileCacheSize);
    }

    /**
     * Opens (creating if needed) a disk tier at {@code root}: empties the
     * spool of writes a crash interrupted and indexes the blobs present.
     */
    public static DiskBlobStore open(Path root, long maxBytes, Executor blocking, Clock clock) throws IOException {
        Path absolute = root.toAbsolutePath().normalize();
        DiskBlobStore store = new DiskBlobStore(absolute, maxBytes, blocking, clock, 1024);
        store.recover();
        return store;
    }

    private void recover() throws IOException {
        Files.createDirectories(spool);
        Files.createDirectories(root.resolve("blobs"));
        int discarded = 0;
        try (DirectoryStream<Path> parts = Files.newDirectoryStream(spool)) {
            for (Path part : parts) {
                Files.deleteIfExists(part);
                discarded++;
            }
        }
        index.load(root.resolve("blobs"));
        log.info("disk tier at {}: {} blobs, {} bytes of {} allowed; {} interrupted writes discarded",
                root, index.count(), index.usedBytes(), maxBytes, discarded);
    }

    @Override
    public String name() {
        return "disk";
    }

    /** Answered from the index; never touches the disk. */
    @Override
    public CompletableFuture<OptionalLong> stat(Digest digest) {
        return CompletableFuture.completedFuture(statNow(digest));
    }

    /** {@link #stat} without the future, for callers on any thread. */
    public OptionalLong statNow(Digest digest) {
        DiskIndex.Entry e = index.get(digest);
        return e == null ? OptionalLong.empty() : OptionalLong.of(e.size);
    }

    /**
     * Opens a range of a blob. Hot blobs are served from a cache of open
     * channels without a system call; others are opened on the blocking
     * executor.
     */
    @Override
    public CompletableFuture<Content> open(Digest digest, long offset, long length) {
        DiskIndex.Entry entry = index.get(digest);
        if (entry == null) {
            return CompletableFuture.failedFuture(new BlobNotFoundException(digest));
        }
        touch(digest, entry);
        OpenFiles.Handle cached = openFiles.acquire(digest);
        if (cached != null) {
            return CompletableFuture.completedFuture(cached.content(offset, length));
        }
        return CompletableFuture.supplyAsync(() -> {
            try {
                return openFiles.open(digest, StorageLayout.blobPath(root, digest)).content(offset, length);
            } catch (NoSuchFileException e) {
                forget(digest);
                throw new BlobNotFoundException(digest);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, blocking);
    }

    /** The path of a stored blob, for tiers and scanners that read it whole. */
    public Path pathOf(Digest digest) {
        return StorageLayout.blobPath(root, digest);
    }

    @Override
    public SpoolWriter newWriter(Digest expected, long expectedSize) throws IOException {
        return new SpoolWriter(this, Objects.requireNonNull(expected, "expected"), expectedSize, spool);
    }

    /** A write whose digest is named only when it completes (a push); commit it with {@link SpoolWriter#commitAs}. */
    public SpoolWriter newUpload() throws IOException {
        return new SpoolWriter(this, null, -1, spool);
    }

    /** Called by a {@link SpoolWriter} whose content was verified. */
    void publish(Digest digest, Path verified, long size) throws IOException {
        Path target = StorageLayout.blobPath(root, digest);
        Files.createDirectories(target.getParent());
        // rename(2) replaces atomically: a concurrent writer of the same digest stored the same bytes.
        Files.move(verified, target, StandardCopyOption.ATOMIC_MOVE);
        index.stored(digest, size, clock.millis());
        openFiles.invalidate(digest);
        maybeEvict();
    }

    @Override
    public CompletableFuture<Boolean> delete(Digest digest) {
        return CompletableFuture.supplyAsync(() -> deleteNow(digest), blocking);
    }

    private boolean deleteNow(Digest digest) {
        forget(digest);
        try {
            return Files.deleteIfExists(StorageLayout.blobPath(root, digest));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void forget(Digest digest) {
        index.remove(digest);
        openFiles.invalidate(digest);
    }

    @Override
    public List<StoredBlob> list() {
        return index.list();
    }

    /**
     * Bytes the file system holding the store still lets this process write
     * (a file-system query: call it off the event loop); {@code Long.MAX_VALUE}
     * if the file system cannot tell.
     */
    public long usableBytes() {
        try {
            return Files.getFileStore(root).getUsableSpace();
        } catch (IOException e) {
            return Long.MAX_VALUE;
        }
    }

    @Override
    public long usedBytes() {
        return index.usedBytes();
    }

    public long maxBytes() {
        return maxBytes;
    }

    /**
     * Blobs eviction must leave alone: content that exists nowhere else
     * (pushed to a hosted repository and not yet in a shared tier).
     */
    public void pin(Predicate<Digest> predicate) {
        this.pinned = Objects.requireNonNull(predicate, "predicate");
    }

    /** Called (on the blocking executor) for each blob evicted; for metrics and prefetch accounting. */
    public void onEviction(Consumer<StoredBlob> listener) {
        this.evictionListener = Objects.requireNonNull(listener, "listener");
    }

    /**
     * Keeps the blob's file as it is until the returned release runs, for an upload is reading it: its
     * modification time (where its access time is kept across restarts) is not written, since the S3 SDK fails
     * a file upload whose file's modification time changes meanwhile, and it is not evicted, which would fail
     * the upload's next part. Either would count as S3 trouble. Releases may run on any thread, once each.
     */
    public Runnable holdForUpload(Digest digest) {
        return uploading.hold(digest);
    }

    private void touch(Digest digest, DiskIndex.Entry entry) {
        long now = clock.millis();
        entry.lastAccess = now;
        if (now - entry.persistedAccess > ACCESS_PERSIST_INTERVAL.toMillis() && !uploading.held(digest)) {
            entry.persistedAccess = now;
            blocking.execute(() -> {
                try {
                    Files.setLastModifiedTime(StorageLayout.blobPath(root, digest), FileTime.fromMillis(now));
                } catch (IOException e) {
                    log.debug("cannot record access time of {}: {}", digest, e.toString());
                }
            });
        }
    }

    private void maybeEvict() {
        if (index.usedBytes() > maxBytes && evicting.compareAndSet(false, true)) {
            blocking.execute(() -> {
                try {
                    evict();
                } finally {
                    evicting.set(false);
                }
            });
        }
    }

    /** Removes least recently used blobs until usage is under the low watermark. */
    void evict() {
        long target = (long) (maxBytes * LOW_WATERMARK);
        if (index.usedBytes() <= maxBytes) {
            return;
        }
        List<StoredBlob> byAge = list();
        byAge.sort(Comparator.comparing(StoredBlob::lastAccess));
        long freed = 0;
        int count = 0;
        for (StoredBlob blob : byAge) {
            if (index.usedBytes() <= target) {
                break;
            }
            if (pinned.test(blob.digest()) || uploading.held(blob.digest())) {
                continue; // uploading: the upload would fail at its next part, and count as S3 trouble
            }
            if (deleteNow(blob.digest())) {
                freed += blob.size();
                count++;
                evictionListener.accept(blob);
            }
        }
        log.info("disk tier evicted {} least recently used blobs ({} bytes); {} of {} bytes in use",
                count, freed, index.usedBytes(), maxBytes);
    }

    @Override
    public void close() {
        openFiles.close();
    }
}
