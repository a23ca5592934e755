package dev.gantry.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gantry.oci.Digest;
import dev.gantry.testing.MutableClock;
import dev.gantry.content.BufferContent;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class MemoryBlobStoreTest extends BlobStoreContract {

    @Override
    protected BlobStore newStore() {
        return new MemoryBlobStore(16L << 20, 4L << 20, MutableClock.startingNow());
    }

    @Test
    void blobsOverTheSizeLimitAreNeverHeld() throws Exception {
        MemoryBlobStore memory = (MemoryBlobStore) store;
        byte[] big = random((4 << 20) + 1, 1);
        Digest d = Digest.sha256(big);
        BlobWriter w = memory.newWriter(d, big.length);
        assertThatThrownBy(() -> w.write(ByteBuffer.wrap(big))).isInstanceOf(DigestMismatchException.class);
        memory.offer(d, big);
        assertThat(memory.statNow(d)).isEmpty();
    }

    @Test
    void aHitIsASliceOfTheHeldDirectBufferThatOutlivesEviction() throws Exception {
        MemoryBlobStore memory = (MemoryBlobStore) store;
        byte[] bytes = random(100_000, 3);
        Digest d = Digest.sha256(bytes);
        memory.offer(d, bytes);
        ByteBuf sent = ((BufferContent) memory.open(d, 10, 50_000).join()).take();
        assertThat(sent.isDirect()).as("sent without a copy into a direct buffer").isTrue();

        memory.delete(d).join();
        assertThat(memory.open(d, 0, bytes.length)).isCompletedExceptionally();
        assertThat(ByteBufUtil.getBytes(sent)).as("a send in flight keeps its bytes").isEqualTo(Arrays.copyOfRange(bytes, 10, 50_010));
        sent.release();
        assertThat(sent.refCnt()).as("eviction gave up the tier's reference: the buffer is freed").isZero();
    }

    @Test
    void closingTheTierFreesEveryHeldBuffer() throws Exception {
        MemoryBlobStore memory = new MemoryBlobStore(1 << 20, 1 << 20, MutableClock.startingNow());
        byte[] bytes = random(1000, 4);
        Digest d = Digest.sha256(bytes);
        memory.offer(d, bytes);
        ByteBuf slice = ((BufferContent) memory.open(d, 0, 1000).join()).take();
        slice.release();
        assertThat(slice.refCnt()).as("held by the tier").isEqualTo(1);
        memory.close();
        assertThat(slice.refCnt()).isZero();
    }

    @Test
    void aHotBlobKeepsItsPlaceAgainstAStreamOfOneOffs() throws Exception {
        MemoryBlobStore memory = new MemoryBlobStore(1 << 20, 1 << 20, MutableClock.startingNow());
        byte[] hot = random(200_000, 2);
        Digest hotDigest = Digest.sha256(hot);
        memory.offer(hotDigest, hot);
        for (int round = 0; round < 50; round++) {
            assertThat(memory.statNow(hotDigest)).isPresent();
            byte[] once = random(200_000, 100 + round);
            memory.offer(Digest.sha256(once), once);
        }
        assertThat(memory.statNow(hotDigest)).as("frequently read blob evicted by one-off blobs").isPresent();
        assertThat(memory.usedBytes()).isLessThanOrEqualTo(1 << 20);
    }
}
