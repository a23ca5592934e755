package dev.gantry.content;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A range of a complete, verified file. The receiver owns this content, not
 * the channel: the channel may be shared with other readers (an open-file
 * cache), so senders use positional reads only and never close it;
 * {@link #close()} runs the release action given by the tier.
 */
public final class FileContent implements Content {
    private final FileChannel channel;
    private final long offset;
    private final long length;
    private final Runnable release;
    private final AtomicBoolean closed = new AtomicBoolean();

    /**
     * @param release run once when this content is closed (e.g. drop a
     *     reference to a shared channel, or close a private one)
     */
    public FileContent(FileChannel channel, long offset, long length, Runnable release) {
        this.channel = Objects.requireNonNull(channel, "channel");
        this.offset = offset;
        this.length = length;
        this.release = Objects.requireNonNull(release, "release");
    }

    /** A content that owns {@code channel} and closes it when closed. */
    public static FileContent owning(FileChannel channel, long offset, long length) {
        return new FileContent(channel, offset, length, () -> {
            try {
                channel.close();
            } catch (IOException ignored) {
                // The descriptor is released either way.
            }
        });
    }

    public FileChannel channel() {
        return channel;
    }

    public long offset() {
        return offset;
    }

    @Override
    public long length() {
        return length;
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            release.run();
        }
    }
}
