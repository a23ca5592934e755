package dev.gantry.registry;

import dev.gantry.content.BodyConsumer;
import dev.gantry.storage.SpoolWriter;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * How a {@link BlobFill} consumes its source: writes chunks to the spool on the blocking executor, up to
 * {@link BlobFill#WRITE_BEHIND_BYTES} behind the source: the source is asked for
 * more at once while the queue is short, and waits only when it is full.
 * One drain task writes whatever queued, in order, so a stream of small
 * chunks is not one thread hop per chunk (that held fills to a fifth of
 * the source's rate on loopback). Calls from the source are sequential;
 * the drain runs on one blocking thread at a time.
 */
final class SpoolingConsumer implements BodyConsumer {
    private final BlobFill fill;
    private final SpoolWriter writer;
    private final FillDeadline deadline;
    private final Executor blocking;
    private final ArrayDeque<ByteBuf> queue = new ArrayDeque<>();
    private long queuedBytes;
    private boolean draining;
    private boolean ended;
    private boolean broken;
    private CompletableFuture<Void> room;

    SpoolingConsumer(BlobFill fill, SpoolWriter writer, FillDeadline deadline, Executor blocking) {
        this.fill = fill;
        this.writer = writer;
        this.deadline = deadline;
        this.blocking = blocking;
    }

    @Override
    public CompletionStage<?> onData(ByteBuf chunk) {
        deadline.progress();
        boolean schedule = false;
        CompletableFuture<Void> wait = null;
        synchronized (this) {
            if (broken) {
                chunk.release();
                Throwable failure = fill.failure();
                return CompletableFuture.failedFuture(failure != null ? failure : new IOException("spool write failed"));
            }
            queue.add(chunk);
            queuedBytes += chunk.readableBytes();
            if (!draining) {
                draining = true;
                schedule = true;
            }
            if (queuedBytes >= BlobFill.WRITE_BEHIND_BYTES) {
                wait = room = new CompletableFuture<>();
            }
        }
        if (schedule) {
            blocking.execute(this::drain);
        }
        return wait != null ? wait : CompletableFuture.completedFuture(null);
    }

    private void drain() {
        while (true) {
            ByteBuf chunk;
            synchronized (this) {
                chunk = queue.poll();
                if (chunk == null) {
                    draining = false;
                    if (!ended) {
                        return;
                    }
                }
            }
            if (chunk == null) {
                fill.commit();
                return;
            }
            int size = chunk.readableBytes();
            try {
                for (ByteBuffer b : chunk.nioBuffers()) {
                    writer.write(b);
                }
                fill.wrote(writer.written());
                deadline.progress();
            } catch (IOException | RuntimeException e) {
                breakOff(e);
                return;
            } finally {
                chunk.release();
            }
            CompletableFuture<Void> resume = null;
            synchronized (this) {
                queuedBytes -= size;
                if (room != null && queuedBytes < BlobFill.WRITE_BEHIND_BYTES / 2) {
                    resume = room;
                    room = null;
                }
            }
            if (resume != null) {
                resume.complete(null);
            }
            fill.progress();
        }
    }

    /** A spool write failed (or the fill expired): drop what queued, stop the source, fail the fill. */
    void breakOff(Throwable error) {
        CompletableFuture<Void> stop;
        synchronized (this) {
            broken = true;
            draining = false;
            queue.forEach(ByteBuf::release);
            queue.clear();
            stop = room;
            room = null;
        }
        fill.fail(error);
        if (stop != null) {
            stop.completeExceptionally(error);
        }
    }

    @Override
    public CompletionStage<?> verdict() {
        return fill.done();
    }

    @Override
    public void onEnd() {
        // The source is done; what is left (writes, verification, commit) is local work.
        deadline.stop();
        boolean commitNow;
        synchronized (this) {
            ended = true;
            commitNow = !draining && !broken;
        }
        if (commitNow) {
            blocking.execute(fill::commit);
        }
    }

    @Override
    public void onError(Throwable cause) {
        synchronized (this) {
            broken = true;
            // The drain releases what it holds; what still queues is dropped here.
            queue.forEach(ByteBuf::release);
            queue.clear();
        }
        fill.fail(cause);
    }
}
