package dev.gantry.storage;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import dev.gantry.content.BufferContent;
import dev.gantry.content.Content;
import dev.gantry.oci.Digest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.IllegalReferenceCountException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The memory tier: small hot blobs in a Caffeine cache weighed in bytes.
 * Caffeine's frequency-aware admission (W-TinyLFU) suits registry traffic,
 * where most layers are under a megabyte and a few are very hot: a one-off
 * blob does not push out a popular one. Blobs over {@code maxBlobBytes} are
 * never held. Never blocks.
 *
 * <p>Blobs live in direct memory, outside the heap: a response sends a
 * retained slice of the held buffer, so a hit costs neither a copy nor a
 * buffer allocation (a heap array would be copied into a fresh direct buffer
 * on every send, and buffers over 64 KiB are not pooled). The cache holds one
 * reference per blob and gives it up when Caffeine evicts or replaces the
 * blob; a response in flight keeps its own.
 */
public final class MemoryBlobStore implements BlobStore {

    private static final Logger log = LoggerFactory.getLogger(MemoryBlobStore.class);

    private record Entry(ByteBuf bytes, long storedAt) {
        int size() {
            return bytes.capacity();
        }
    }

    private final Cache<Digest, Entry> cache;
    private final long maxBlobBytes;
    private final long maxBytes;
    private final Clock clock;
    private final AtomicBoolean warnedOutOfDirectMemory = new AtomicBoolean();

    public MemoryBlobStore(long maxBytes, long maxBlobBytes, Clock clock) {
        this.maxBlobBytes = maxBlobBytes;
        this.maxBytes = maxBytes;
        this.clock = clock;
        this.cache = Caffeine.newBuilder()
                .maximumWeight(maxBytes)
                .<Digest, Entry>weigher((d, e) -> e.size() + 96)
                .removalListener((Digest d, Entry e, RemovalCause cause) -> {
                    if (e != null) {
                        e.bytes.release();
                    }
                })
                .executor(Runnable::run)
                .build();
    }

    @Override
    public String name() {
        return "memory";
    }

    public long maxBlobBytes() {
        return maxBlobBytes;
    }

    public long maxBytes() {
        return maxBytes;
    }

    /** Whether a blob of this size may be held at all. */
    public boolean admits(long size) {
        return maxBytes > 0 && size <= Math.min(maxBlobBytes, Integer.MAX_VALUE - 8); // one buffer holds it
    }

    @Override
    public CompletableFuture<OptionalLong> stat(Digest digest) {
        return CompletableFuture.completedFuture(statNow(digest));
    }

    /**
     * The size of a held blob. Every call counts as an access in Caffeine's
     * frequency sketch, hit or miss, which is what lets a blob that is asked
     * for often earn its place.
     */
    public OptionalLong statNow(Digest digest) {
        Entry e = cache.getIfPresent(digest);
        return e == null ? OptionalLong.empty() : OptionalLong.of(e.size());
    }

    @Override
    public CompletableFuture<Content> open(Digest digest, long offset, long length) {
        Entry e = cache.getIfPresent(digest);
        if (e == null) {
            return CompletableFuture.failedFuture(new BlobNotFoundException(digest));
        }
        try {
            return CompletableFuture.completedFuture(new BufferContent(e.bytes.retainedSlice((int) offset, (int) length)));
        } catch (IllegalReferenceCountException evictedMeanwhile) {
            return CompletableFuture.failedFuture(new BlobNotFoundException(digest));
        }
    }

    /** Offers verified bytes; Caffeine may decline to keep them. */
    public void offer(Digest digest, byte[] verified) {
        if (admits(verified.length)) {
            put(digest, verified);
        }
    }

    /**
     * Reads a blob's file into the tier, checking it against its digest as it goes: nothing is held
     * when it does not match, is over the limit, or cannot be read (evicted from disk meanwhile). The
     * bytes go straight to direct memory, never through a heap array the size of the blob (G1
     * allocates one over half a region, 512 KiB with bin/gantry's heap, as a humongous object, and
     * each such allocation may start a collection). Blocks.
     */
    public void offer(Digest digest, Path file) {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            if (!admits(size)) {
                return;
            }
            ByteBuf held = allocate((int) size);
            if (held == null) {
                return;
            }
            boolean kept = false;
            try {
                while (held.writerIndex() < size) {
                    if (held.writeBytes(channel, held.writerIndex(), (int) size - held.writerIndex()) < 0) {
                        return; // shorter than it was a moment ago
                    }
                }
                MessageDigest hash = digest.newMessageDigest();
                hash.update(held.nioBuffer());
                // Promoted twice at once (a commit and a read): the copy held already stays, with its readers.
                kept = digest.matchesRaw(hash.digest()) && cache.asMap().putIfAbsent(digest, new Entry(held, clock.millis())) == null;
            } finally {
                if (!kept) {
                    held.release();
                }
            }
        } catch (IOException e) {
            // Gone or unreadable: it is served from where it is.
        }
    }

    private void put(Digest digest, byte[] verified) {
        ByteBuf held = allocate(verified.length);
        if (held != null) {
            cache.put(digest, new Entry(held.writeBytes(verified), clock.millis()));
        }
    }

    /** A direct buffer of {@code size} bytes, or null (with a warning, once) when direct memory is short. */
    private ByteBuf allocate(int size) {
        try {
            return Unpooled.directBuffer(size, size);
        } catch (OutOfMemoryError e) {
            // Direct memory is shared with the network buffers: a full tier must never starve them.
            if (warnedOutOfDirectMemory.compareAndSet(false, true)) {
                log.warn("memory tier: no direct memory left for a {}-byte blob ({}); blobs are served from disk "
                        + "until some is free: lower storage.memory.maxBytes or raise -XX:MaxDirectMemorySize", size, e.getMessage());
            }
            return null;
        }
    }

    @Override
    public BlobWriter newWriter(Digest expected, long expectedSize) {
        return new BlobWriter() {
            private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
            private final MessageDigest hash = expected.newMessageDigest();
            private boolean finished;

            @Override
            public void write(ByteBuffer src) throws IOException {
                if (finished) {
                    throw new IOException("write after commit or abort");
                }
                if (buffer.size() + src.remaining() > maxBlobBytes
                        || (expectedSize >= 0 && buffer.size() + src.remaining() > expectedSize)) {
                    throw new DigestMismatchException("blob exceeds the memory tier's limit or its expected size");
                }
                ByteBuffer dup = src.duplicate();
                hash.update(dup);
                byte[] chunk = new byte[src.remaining()];
                src.get(chunk);
                buffer.write(chunk);
            }

            @Override
            public long written() {
                return buffer.size();
            }

            @Override
            public Digest commit() throws IOException {
                if (finished) {
                    throw new IOException("commit after commit or abort");
                }
                finished = true;
                if (expectedSize >= 0 && buffer.size() != expectedSize) {
                    throw new DigestMismatchException(expected + ": got " + buffer.size() + " bytes, expected " + expectedSize);
                }
                if (!expected.matchesRaw(hash.digest())) {
                    throw new DigestMismatchException("content does not hash to " + expected);
                }
                put(expected, buffer.toByteArray());
                return expected;
            }

            @Override
            public void abort() {
                finished = true;
            }
        };
    }

    @Override
    public CompletableFuture<Boolean> delete(Digest digest) {
        return CompletableFuture.completedFuture(cache.asMap().remove(digest) != null);
    }

    @Override
    public List<StoredBlob> list() {
        List<StoredBlob> out = new ArrayList<>();
        cache.asMap().forEach((d, e) -> out.add(new StoredBlob(d, e.size(), Instant.ofEpochMilli(e.storedAt))));
        return out;
    }

    @Override
    public long usedBytes() {
        cache.cleanUp();
        return cache.policy().eviction().map(e -> e.weightedSize().orElse(0)).orElse(0L)
                - 96L * cache.estimatedSize();
    }

    @Override
    public void close() {
        cache.invalidateAll();
    }
}
