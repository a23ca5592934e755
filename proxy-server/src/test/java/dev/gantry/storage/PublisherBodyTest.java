package dev.gantry.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/** The S3 body's read-ahead: ahead of the consumer, bounded, in order. */
class PublisherBodyTest {

    /** A publisher of numbered one-byte buffers that emits only what was requested, synchronously. */
    static final class CountingPublisher implements Publisher<ByteBuffer> {
        final int total;
        long requested;
        int emitted;
        boolean cancelled;
        boolean completed;
        Subscriber<? super ByteBuffer> subscriber;

        CountingPublisher(int total) {
            this.total = total;
        }

        @Override
        public void subscribe(Subscriber<? super ByteBuffer> s) {
            subscriber = s;
            s.onSubscribe(new Subscription() {
                @Override
                public void request(long n) {
                    requested += n;
                }

                @Override
                public void cancel() {
                    cancelled = true;
                }
            });
        }

        /** Delivers everything requested so far, and completes once all is out. */
        void emitRequested() {
            while (emitted < requested && emitted < total) {
                subscriber.onNext(ByteBuffer.wrap(new byte[] {(byte) emitted++}));
            }
            if (emitted == total && !completed) {
                completed = true;
                subscriber.onComplete();
            }
        }
    }

    @Test
    void requestsAReadAheadOfBuffersOnTheFirstReadNotOne() {
        CountingPublisher publisher = new CountingPublisher(100);
        PublisherBody body = new PublisherBody(publisher, 100);
        body.next();
        assertThat(publisher.requested).isEqualTo(PublisherBody.READ_AHEAD);
    }

    @Test
    void neverHoldsMoreThanTheReadAheadWhileTheConsumerDoesNotRead() {
        CountingPublisher publisher = new CountingPublisher(100);
        PublisherBody body = new PublisherBody(publisher, 100);
        body.next();
        for (int i = 0; i < 10; i++) {
            publisher.emitRequested();
        }
        // One went to the waiting next(); the rest are held, and no more were asked for.
        assertThat(publisher.requested).isEqualTo(PublisherBody.READ_AHEAD);
        assertThat(publisher.emitted).isEqualTo(PublisherBody.READ_AHEAD);
    }

    @Test
    void deliversEveryBufferOnceInOrderThenTheEnd() throws Exception {
        int total = 1000;
        CountingPublisher publisher = new CountingPublisher(total);
        PublisherBody body = new PublisherBody(publisher, total);
        List<Integer> seen = new ArrayList<>();
        while (true) {
            var next = body.next();
            publisher.emitRequested();
            ByteBuf chunk = next.get();
            if (chunk == null) {
                break;
            }
            seen.add(chunk.readByte() & 0xff);
            assertThat(publisher.requested - publisher.emitted).isLessThanOrEqualTo(PublisherBody.READ_AHEAD);
        }
        assertThat(seen).hasSize(total);
        for (int i = 0; i < total; i++) {
            assertThat(seen.get(i)).isEqualTo(i & 0xff);
        }
    }

    @Test
    void closeCancelsTheSubscription() {
        CountingPublisher publisher = new CountingPublisher(10);
        PublisherBody body = new PublisherBody(publisher, 10);
        body.close();
        assertThat(publisher.cancelled).isTrue();
    }
}
