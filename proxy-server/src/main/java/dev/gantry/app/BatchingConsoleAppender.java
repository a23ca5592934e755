package dev.gantry.app;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import ch.qos.logback.core.encoder.Encoder;
import java.io.ByteArrayOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Standard output (or error) written by one thread every {@code flushMillis}
 * (default 50), everything queued since in one system call. Under load that
 * is one write per few hundred lines instead of one per line, and logging a
 * line costs the request thread a queue offer: no wake-up of another thread,
 * no system call. A line waits at most {@code flushMillis} to be written —
 * the trade nginx makes with {@code access_log ... flush=}.
 *
 * <p>Written here because logback has no appender that does it:
 * {@code ConsoleAppender} writes (and flushes) every event on its own;
 * {@code AsyncAppender} moves those writes to another thread but wakes that
 * thread for every event (measured: a futex call and a write per request);
 * with {@code immediateFlush=false} lines would sit in a buffer while the
 * server is idle. Callers never block: when the queue is full an event is
 * dropped and counted, and the count is logged with the next batch.
 */
public final class BatchingConsoleAppender extends UnsynchronizedAppenderBase<ILoggingEvent> {

    private static final int MAX_BATCH = 1024;

    private Encoder<ILoggingEvent> encoder;
    private int queueSize = 8192;
    private long flushMillis = 50;
    private String target = "System.out";
    private BlockingQueue<ILoggingEvent> queue;
    private OutputStream out;
    private Thread writer;
    private volatile boolean running;
    private final AtomicLong dropped = new AtomicLong();

    public void setEncoder(Encoder<ILoggingEvent> encoder) {
        this.encoder = encoder;
    }

    public void setQueueSize(int queueSize) {
        this.queueSize = queueSize;
    }

    public void setFlushMillis(long flushMillis) {
        this.flushMillis = flushMillis;
    }

    /** {@code System.out} or {@code System.err}. */
    public void setTarget(String target) {
        this.target = target;
    }

    @Override
    public void start() {
        if (encoder == null) {
            addError("no encoder for appender " + name);
            return;
        }
        queue = new ArrayBlockingQueue<>(Math.max(16, queueSize));
        out = new FileOutputStream("System.err".equals(target) ? FileDescriptor.err : FileDescriptor.out);
        running = true;
        writer = new Thread(this::drain, "log-writer");
        writer.setDaemon(true);
        writer.start();
        super.start();
    }

    @Override
    protected void append(ILoggingEvent event) {
        event.prepareForDeferredProcessing();
        if (!queue.offer(event)) {
            dropped.incrementAndGet();
        }
    }

    private void drain() {
        List<ILoggingEvent> batch = new ArrayList<>(MAX_BATCH);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 * 1024);
        while (running || !queue.isEmpty()) {
            // Parked, not blocked in a take: a take would make every offer wake this thread.
            if (queue.drainTo(batch, MAX_BATCH) == 0) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(flushMillis));
                continue;
            }
            for (ILoggingEvent e : batch) {
                bytes.writeBytes(encoder.encode(e));
            }
            long lost = dropped.getAndSet(0);
            if (lost > 0) {
                bytes.writeBytes(("log queue full: " + lost + " lines dropped" + System.lineSeparator()).getBytes(StandardCharsets.UTF_8));
            }
            try {
                bytes.writeTo(out);
            } catch (IOException e) {
                // Nowhere left to report it: standard output is gone.
            }
            bytes.reset();
            boolean full = batch.size() == MAX_BATCH;
            batch.clear();
            if (!full && running) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(flushMillis));
            }
        }
    }

    @Override
    public void stop() {
        if (!isStarted()) {
            return;
        }
        super.stop();
        running = false;
        LockSupport.unpark(writer);
        try {
            writer.join(TimeUnit.SECONDS.toMillis(2));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
