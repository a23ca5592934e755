package dev.gantry.storage;

import dev.gantry.content.BodyConsumer;
import dev.gantry.content.ByteStream;
import dev.gantry.content.StreamContent;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * A reactive-streams body (the AWS SDK's) read with a bounded read-ahead:
 * up to {@value #READ_AHEAD} buffers are requested before the consumer asks,
 * and more are requested as it takes them, so at most that many buffers are
 * held per stream. Requesting one buffer at a time (the simplest correct
 * reading of back-pressure) makes every chunk a round trip between the SDK's
 * event loop and ours and held S3 reads to a fifth of a direct GET's rate.
 * Serves both as a response body ({@link StreamContent}) and as a fill
 * source ({@link ByteStream}).
 */
final class PublisherBody implements StreamContent, ByteStream, Subscriber<ByteBuffer> {

    /** Buffers requested ahead of the consumer; the SDK's are a few KiB to 64 KiB each. */
    static final int READ_AHEAD = 16;

    private final long length;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final CompletableFuture<Subscription> subscription = new CompletableFuture<>();
    private final ArrayDeque<ByteBuffer> ready = new ArrayDeque<>();
    /** Buffers requested from the publisher and not yet delivered. */
    private int outstanding;
    private CompletableFuture<ByteBuf> pending;
    private boolean done;
    private Throwable failure;

    PublisherBody(Publisher<ByteBuffer> publisher, long length) {
        this.length = length;
        publisher.subscribe(this);
    }

    @Override
    public long length() {
        return length;
    }

    @Override
    public long contentLength() {
        return length;
    }

    @Override
    public CompletableFuture<ByteBuf> next() {
        CompletableFuture<ByteBuf> result;
        int demand;
        synchronized (this) {
            if (failure != null) {
                return CompletableFuture.failedFuture(failure);
            }
            if (pending != null) {
                return CompletableFuture.failedFuture(new IllegalStateException("next() before the previous chunk arrived"));
            }
            ByteBuffer head = ready.poll();
            if (head != null) {
                result = CompletableFuture.completedFuture(Unpooled.wrappedBuffer(head));
            } else if (done) {
                return CompletableFuture.completedFuture(null);
            } else {
                result = pending = new CompletableFuture<>();
            }
            demand = topUp();
        }
        request(demand);
        return result;
    }

    /**
     * How many more buffers to request now; called with the lock held. Tops
     * up in batches of at least half the read-ahead, so a fast consumer does
     * not turn every buffer into a request of one.
     */
    private int topUp() {
        if (done) {
            return 0;
        }
        int room = READ_AHEAD - ready.size() - outstanding;
        if (room >= READ_AHEAD / 2 || (room > 0 && outstanding == 0)) {
            outstanding += room;
            return room;
        }
        return 0;
    }

    private void request(int n) {
        if (n > 0) {
            subscription.thenAccept(s -> s.request(n));
        }
    }

    @Override
    public void subscribe(BodyConsumer consumer) {
        pump(consumer);
    }

    private void pump(BodyConsumer consumer) {
        next().whenComplete((chunk, error) -> {
            if (error != null) {
                consumer.onError(error);
            } else if (chunk == null) {
                consumer.onEnd();
            } else {
                consumer.onData(chunk).whenComplete((v, e) -> {
                    if (e != null) {
                        close();
                        consumer.onError(e);
                    } else {
                        pump(consumer);
                    }
                });
            }
        });
    }

    @Override
    public void discard() {
        close();
    }

    @Override
    public void onSubscribe(Subscription s) {
        if (closed.get()) {
            s.cancel();
        }
        subscription.complete(s);
    }

    @Override
    public void onNext(ByteBuffer buffer) {
        CompletableFuture<ByteBuf> f;
        synchronized (this) {
            outstanding--;
            f = pending;
            pending = null;
            if (f == null) {
                ready.add(buffer);
            }
        }
        if (f != null) {
            f.complete(Unpooled.wrappedBuffer(buffer));
        }
    }

    @Override
    public void onError(Throwable t) {
        CompletableFuture<ByteBuf> f;
        synchronized (this) {
            failure = t;
            ready.clear();
            f = pending;
            pending = null;
        }
        if (f != null) {
            f.completeExceptionally(t);
        }
    }

    @Override
    public void onComplete() {
        CompletableFuture<ByteBuf> f;
        synchronized (this) {
            done = true;
            f = pending;
            pending = null;
        }
        if (f != null) {
            f.complete(null);
        }
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            synchronized (this) {
                ready.clear();
            }
            subscription.thenAccept(Subscription::cancel);
        }
    }
}
