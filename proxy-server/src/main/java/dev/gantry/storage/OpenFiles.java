package dev.gantry.storage;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.gantry.content.FileContent;
import dev.gantry.oci.Digest;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A bounded cache of read-only channels on committed blobs, shared by every
 * response that sends the same blob. Senders use positional transfers only,
 * so one channel serves any number of concurrent readers. A channel is
 * reference counted: the cache holds one reference and each open
 * {@link FileContent} one more; it closes when the last is dropped, so
 * eviction from the cache never cuts off a response in flight.
 */
final class OpenFiles implements AutoCloseable {

    private final Cache<Digest, Handle> cache;

    OpenFiles(int maxOpen) {
        this.cache = Caffeine.newBuilder()
                .maximumSize(maxOpen)
                .executor(Runnable::run)
                .<Digest, Handle>removalListener((digest, handle, cause) -> {
                    if (handle != null) {
                        handle.release();
                    }
                })
                .build();
    }

    /** A retained handle on a cached channel, or null when none is cached. */
    Handle acquire(Digest digest) {
        Handle h = cache.getIfPresent(digest);
        return h != null && h.retain() ? h : null;
    }

    /** Opens {@code path}, caches the channel, and returns a retained handle. Blocks. */
    Handle open(Digest digest, Path path) throws IOException {
        Handle fresh = new Handle(FileChannel.open(path, StandardOpenOption.READ));
        fresh.retain();
        while (true) {
            Handle existing = cache.asMap().putIfAbsent(digest, fresh);
            if (existing == null) {
                return fresh;
            }
            if (existing.retain()) {
                fresh.release();
                fresh.release();
                return existing;
            }
            cache.asMap().remove(digest, existing);
        }
    }

    void invalidate(Digest digest) {
        cache.invalidate(digest);
    }

    @Override
    public void close() {
        cache.invalidateAll();
    }

    /** A shared channel with a reference count starting at one (the cache's). */
    static final class Handle {
        private final FileChannel channel;
        private final AtomicInteger refs = new AtomicInteger(1);

        Handle(FileChannel channel) {
            this.channel = channel;
        }

        boolean retain() {
            while (true) {
                int n = refs.get();
                if (n <= 0) {
                    return false;
                }
                if (refs.compareAndSet(n, n + 1)) {
                    return true;
                }
            }
        }

        void release() {
            if (refs.decrementAndGet() == 0) {
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // Released either way.
                }
            }
        }

        /** A content over this channel that owns the caller's reference. */
        FileContent content(long offset, long length) {
            return new FileContent(channel, offset, length, this::release);
        }
    }
}
