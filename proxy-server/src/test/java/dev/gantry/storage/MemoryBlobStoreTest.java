package dev.gantry.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gantry.oci.Digest;
import dev.gantry.testing.MutableClock;
import dev.gantry.content.BufferContent;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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

    @TempDir
    Path files;

    @Test
    void aBlobOfferedFromItsFileIsHeldWhenItMatchesItsDigest() throws Exception {
        MemoryBlobStore memory = (MemoryBlobStore) store;
        byte[] bytes = random(300_000, 5);
        Digest d = Digest.sha256(bytes);
        Path file = Files.write(files.resolve("blob"), bytes);

        memory.offer(d, file);

        assertThat(memory.statNow(d)).hasValue(bytes.length);
        ByteBuf sent = ((BufferContent) memory.open(d, 0, bytes.length).join()).take();
        assertThat(ByteBufUtil.getBytes(sent)).isEqualTo(bytes);
        sent.release();
    }

    @Test
    void aFileThatDoesNotMatchItsDigestIsOverTheLimitOrIsGoneIsNotHeld() throws Exception {
        MemoryBlobStore memory = (MemoryBlobStore) store;
        byte[] bytes = random(300_000, 6);
        Digest d = Digest.sha256(bytes);
        byte[] rotten = bytes.clone();
        rotten[150_000] ^= 1;
        memory.offer(d, Files.write(files.resolve("rotten"), rotten));
        assertThat(memory.statNow(d)).as("a file that changed on disk since it was verified").isEmpty();

        byte[] big = random((4 << 20) + 1, 7);
        Digest bigDigest = Digest.sha256(big);
        memory.offer(bigDigest, Files.write(files.resolve("big"), big));
        assertThat(memory.statNow(bigDigest)).as("over the tier's blob limit").isEmpty();

        memory.offer(d, files.resolve("evicted"));
        assertThat(memory.statNow(d)).as("a file evicted before it was read").isEmpty();
    }

    @Test
    void aBlobOfferedFromItsFileIsNeverCopiedThroughTheHeap() throws Exception {
        MemoryBlobStore memory = (MemoryBlobStore) store;
        byte[] bytes = random(2 << 20, 8);
        Digest d = Digest.sha256(bytes);
        Path file = Files.write(files.resolve("two-mib"), bytes);
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        byte[] small = random(10_000, 9);
        memory.offer(Digest.sha256(small), Files.write(files.resolve("small"), small)); // the code paths loaded

        long before = threads.getCurrentThreadAllocatedBytes();
        memory.offer(d, file);
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;

        assertThat(memory.statNow(d)).hasValue(bytes.length);
        // A heap array of the blob's size (a humongous object for G1) would be 2 MiB on its own.
        assertThat(allocated).as("heap bytes allocated to read a 2 MiB blob into the tier").isLessThan(256 << 10);
    }
}
