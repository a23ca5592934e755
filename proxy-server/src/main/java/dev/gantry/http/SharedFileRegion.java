package dev.gantry.http;

import io.netty.channel.DefaultFileRegion;
import java.nio.channels.FileChannel;

/**
 * A zero-copy region of a channel this region does not own: releasing the
 * region runs {@code release} instead of closing the channel, which other
 * responses may be reading. It stays a {@link DefaultFileRegion} so the
 * native transport sends it with sendfile(2).
 */
final class SharedFileRegion extends DefaultFileRegion {

    private final Runnable release;

    SharedFileRegion(FileChannel channel, long position, long count, Runnable release) {
        super(channel, position, count);
        this.release = release;
    }

    @Override
    protected void deallocate() {
        release.run();
    }
}
