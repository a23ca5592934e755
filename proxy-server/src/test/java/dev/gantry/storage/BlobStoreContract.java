package dev.gantry.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gantry.content.BufferContent;
import dev.gantry.content.Content;
import dev.gantry.content.FileContent;
import dev.gantry.content.StreamContent;
import dev.gantry.oci.Digest;
import io.netty.buffer.ByteBuf;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The contract every storage tier honours. Each tier's test extends this and
 * supplies the store; the tier's own test adds only what is specific to it.
 */
public abstract class BlobStoreContract {

    protected BlobStore store;

    /** A fresh, empty store. */
    protected abstract BlobStore newStore() throws Exception;

    @BeforeEach
    void open() throws Exception {
        store = newStore();
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    protected static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    protected Digest put(byte[] bytes) throws IOException {
        Digest d = Digest.sha256(bytes);
        BlobWriter w = store.newWriter(d, bytes.length);
        // Several writes, as a fill would do.
        for (int off = 0; off < bytes.length; off += 7919) {
            w.write(ByteBuffer.wrap(bytes, off, Math.min(7919, bytes.length - off)));
        }
        assertThat(w.commit()).isEqualTo(d);
        return d;
    }

    /** Reads a content fully, whatever its kind, and closes it. */
    protected static byte[] read(Content c) throws IOException {
        try (c) {
            if (c instanceof FileContent f) {
                ByteBuffer buf = ByteBuffer.allocate((int) f.length());
                while (buf.hasRemaining()) {
                    if (f.channel().read(buf, f.offset() + buf.position()) < 0) {
                        break;
                    }
                }
                return buf.array();
            }
            if (c instanceof BufferContent b) {
                ByteBuf buf = b.take();
                try {
                    byte[] out = new byte[buf.readableBytes()];
                    buf.readBytes(out);
                    return out;
                } finally {
                    buf.release();
                }
            }
            if (c instanceof StreamContent s) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                for (ByteBuf chunk = s.next().join(); chunk != null; chunk = s.next().join()) {
                    try {
                        chunk.readBytes(out, chunk.readableBytes());
                    } finally {
                        chunk.release();
                    }
                }
                return out.toByteArray();
            }
            throw new AssertionError("unexpected content " + c);
        }
    }

    @Test
    void anEmptyStoreHoldsNothing() throws Exception {
        Digest d = Digest.sha256(new byte[] {1});
        assertThat(store.stat(d).join()).isEmpty();
        assertThatThrownBy(() -> store.open(d, 0, 1).join()).hasCauseInstanceOf(BlobNotFoundException.class);
        assertThat(store.list()).isEmpty();
    }

    @Test
    void aCommittedBlobCanBeStattedAndReadWholeOrInRanges() throws Exception {
        byte[] bytes = random(100_000, 1);
        Digest d = put(bytes);
        assertThat(store.stat(d).join()).hasValue(bytes.length);
        assertThat(read(store.open(d, 0, bytes.length).join())).isEqualTo(bytes);
        assertThat(read(store.open(d, 1000, 10).join())).isEqualTo(Arrays.copyOfRange(bytes, 1000, 1010));
        assertThat(read(store.open(d, bytes.length - 1, 1).join())).containsExactly(bytes[bytes.length - 1]);
    }

    @Test
    void anEmptyBlobIsABlob() throws Exception {
        Digest d = put(new byte[0]);
        assertThat(store.stat(d).join()).hasValue(0);
    }

    @Test
    void nothingIsVisibleBeforeCommit() throws Exception {
        byte[] bytes = random(5000, 2);
        Digest d = Digest.sha256(bytes);
        BlobWriter w = store.newWriter(d, bytes.length);
        w.write(ByteBuffer.wrap(bytes));
        assertThat(store.stat(d).join()).isEmpty();
        w.commit();
        assertThat(store.stat(d).join()).hasValue(5000);
    }

    @Test
    void aWriteThatDoesNotHashToItsDigestIsDiscarded() throws Exception {
        byte[] bytes = random(5000, 3);
        Digest claimed = Digest.sha256(random(5000, 4));
        BlobWriter w = store.newWriter(claimed, bytes.length);
        w.write(ByteBuffer.wrap(bytes));
        assertThatThrownBy(w::commit).isInstanceOf(DigestMismatchException.class);
        assertThat(store.stat(claimed).join()).isEmpty();
        assertThat(store.list()).isEmpty();
    }

    @Test
    void aWriteOfTheWrongSizeIsDiscarded() throws Exception {
        byte[] bytes = random(5000, 5);
        Digest d = Digest.sha256(bytes);
        BlobWriter shortWrite = store.newWriter(d, bytes.length + 1);
        shortWrite.write(ByteBuffer.wrap(bytes));
        assertThatThrownBy(shortWrite::commit).isInstanceOf(DigestMismatchException.class);
        BlobWriter longWrite = store.newWriter(d, bytes.length - 1);
        assertThatThrownBy(() -> longWrite.write(ByteBuffer.wrap(bytes))).isInstanceOf(DigestMismatchException.class);
        longWrite.abort();
        assertThat(store.stat(d).join()).isEmpty();
    }

    @Test
    void anAbortedWriteLeavesNothing() throws Exception {
        byte[] bytes = random(5000, 6);
        Digest d = Digest.sha256(bytes);
        BlobWriter w = store.newWriter(d, bytes.length);
        w.write(ByteBuffer.wrap(bytes));
        w.abort();
        w.abort();
        assertThat(store.stat(d).join()).isEmpty();
    }

    @Test
    void deleteRemovesABlob() throws Exception {
        Digest d = put(random(1000, 7));
        assertThat(store.delete(d).join()).isTrue();
        assertThat(store.stat(d).join()).isEmpty();
        assertThat(store.delete(d).join()).isFalse();
    }

    @Test
    void listShowsEveryBlobWithItsSize() throws Exception {
        Digest a = put(random(1000, 8));
        Digest b = put(random(2000, 9));
        assertThat(store.list()).extracting(StoredBlob::digest).containsExactlyInAnyOrder(a, b);
        assertThat(store.list()).extracting(StoredBlob::size).containsExactlyInAnyOrder(1000L, 2000L);
        assertThat(store.usedBytes()).isEqualTo(3000);
    }

    @Test
    void concurrentWritersOfTheSameDigestAllSucceedWithTheRightContent() throws Exception {
        byte[] bytes = random(300_000, 10);
        Digest d = Digest.sha256(bytes);
        int writers = 4;
        CyclicBarrier barrier = new CyclicBarrier(writers);
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        try {
            List<Future<Digest>> results = new ArrayList<>();
            for (int i = 0; i < writers; i++) {
                results.add(pool.submit(() -> {
                    BlobWriter w = store.newWriter(d, bytes.length);
                    barrier.await();
                    for (int off = 0; off < bytes.length; off += 4096) {
                        w.write(ByteBuffer.wrap(bytes, off, Math.min(4096, bytes.length - off)));
                    }
                    return w.commit();
                }));
            }
            for (Future<Digest> f : results) {
                assertThat(f.get()).isEqualTo(d);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(read(store.open(d, 0, bytes.length).join())).isEqualTo(bytes);
        assertThat(store.list()).hasSize(1);
        assertThat(store.usedBytes()).isEqualTo(bytes.length);
    }

    @Test
    void readingAMissingBlobFailsWithNotFound() {
        Digest d = Digest.sha256(new byte[] {9});
        assertThatThrownBy(() -> store.open(d, 0, 1).join())
                .isInstanceOf(CompletionException.class).hasCauseInstanceOf(BlobNotFoundException.class);
    }
}
