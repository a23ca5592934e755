package dev.gantry.upstream;

import io.netty.channel.Channel;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The read timeout of one upstream exchange: it runs only while a read is
 * outstanding, so a slow consumer is never mistaken for a silent upstream.
 * Touched on the channel's event loop only.
 */
final class ReadDeadline {

    private final Channel channel;
    private final long millis;
    private final Runnable expired;
    private ScheduledFuture<?> timer;

    /** @param expired runs on the event loop when a read waited {@code millis} without a byte */
    ReadDeadline(Channel channel, long millis, Runnable expired) {
        this.channel = channel;
        this.millis = millis;
        this.expired = expired;
    }

    /** A read is outstanding: starts the clock unless it is running. */
    void start() {
        if (timer == null) {
            timer = channel.eventLoop().schedule(() -> {
                timer = null;
                expired.run();
            }, millis, TimeUnit.MILLISECONDS);
        }
    }

    /** Something arrived, or the exchange is over. */
    void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
