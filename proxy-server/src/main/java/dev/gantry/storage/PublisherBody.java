package dev.gantry.storage;

import dev.gantry.content.BodyConsumer;
import dev.gantry.content.ByteStream;
import dev.gantry.content.StreamContent;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * A reactive-streams body (the AWS SDK's) read one buffer at a time: the
 * next buffer is requested only when the previous one was taken, so memory
 * holds at most one buffer in flight. Serves both as a response body
 * ({@link StreamContent}) and as a fill source ({@link ByteStream}).
 */
final class PublisherBody implements StreamContent, ByteStream, Subscriber<ByteBuffer> {

    private final long length;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final CompletableFuture<Subscription> subscription = new CompletableFuture<>();
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
    public synchronized CompletableFuture<ByteBuf> next() {
        if (failure != null) {
            return CompletableFuture.failedFuture(failure);
        }
        if (done) {
            return CompletableFuture.completedFuture(null);
        }
        if (pending != null) {
            return CompletableFuture.failedFuture(new IllegalStateException("next() before the previous chunk arrived"));
        }
        CompletableFuture<ByteBuf> f = new CompletableFuture<>();
        pending = f;
        subscription.thenAccept(s -> s.request(1));
        return f;
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
            f = pending;
            pending = null;
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
            subscription.thenAccept(Subscription::cancel);
        }
    }
}
