package dev.gantry.storage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.oci.Digest;
import dev.gantry.testing.MutableClock;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiskBlobStoreTest extends BlobStoreContract {

    @TempDir
    Path root;

    private final ExecutorService blocking = Executors.newFixedThreadPool(4);
    private final MutableClock clock = MutableClock.startingNow();

    @Override
    protected BlobStore newStore() throws Exception {
        return DiskBlobStore.open(root, 1L << 30, blocking, clock);
    }

    @AfterEach
    void stopExecutor() {
        blocking.shutdownNow();
    }

    @Test
    void blobsSurviveARestartAndInterruptedWritesDoNot() throws Exception {
        byte[] bytes = random(10_000, 20);
        Digest d = put(bytes);
        SpoolWriter interrupted = (SpoolWriter) store.newWriter(Digest.sha256(random(10, 21)), 10);
        interrupted.write(ByteBuffer.wrap(random(5, 22)));
        Path part = interrupted.path();
        store.close();

        DiskBlobStore reopened = DiskBlobStore.open(root, 1L << 30, blocking, clock);
        assertThat(reopened.stat(d).join()).hasValue(10_000);
        assertThat(read(reopened.open(d, 0, 10_000).join())).isEqualTo(bytes);
        assertThat(Files.exists(part)).as("spool file of an interrupted write").isFalse();
        assertThat(reopened.list()).hasSize(1);
        reopened.close();
    }

    /**
     * A read records its time in the file's modification time (at most hourly), except while an upload reads
     * the file: the S3 SDK fails a file upload whose modification time changes under it.
     */
    @Test
    void anUploadHoldsTheModifiedTimeThatReadsOtherwiseRecord() throws Exception {
        store.close();
        DiskBlobStore disk = DiskBlobStore.open(root, 1L << 30, Runnable::run, clock); // records on the reader's thread
        store = disk;
        Digest d = put(random(1_000, 24));
        Path file = disk.pathOf(d);
        FileTime written = Files.getLastModifiedTime(file);

        Runnable release = disk.holdForUpload(d);
        clock.advance(Duration.ofHours(2));
        read(disk.open(d, 0, 1_000).join());
        assertThat(Files.getLastModifiedTime(file)).as("modified time while an upload reads the file").isEqualTo(written);

        release.run();
        release.run(); // once each: a second call releases nothing more
        read(disk.open(d, 0, 1_000).join());
        assertThat(Files.getLastModifiedTime(file)).as("the read's time, recorded once the upload is over")
                .isEqualTo(FileTime.fromMillis(clock.millis()));
    }

    @Test
    void aBlobAnUploadReadsIsNotEvictedUntilTheUploadIsOver() throws Exception {
        store.close();
        DiskBlobStore small = DiskBlobStore.open(root, 25_000, Runnable::run, clock);
        store = small;
        Digest uploading = put(random(10_000, 25));
        clock.advance(Duration.ofSeconds(1));
        Digest other = put(random(10_000, 26));
        clock.advance(Duration.ofSeconds(1));
        Runnable release = small.holdForUpload(uploading);
        put(random(10_000, 27)); // past the limit: the least recently used goes, unless an upload reads it
        assertThat(small.statNow(uploading)).as("the blob an upload reads").isPresent();
        assertThat(small.statNow(other)).as("the next least recently used").isEmpty();
        release.run();
        clock.advance(Duration.ofSeconds(1));
        put(random(10_000, 28));
        assertThat(small.statNow(uploading)).as("once the upload is over").isEmpty();
    }

    @Test
    void blobsAreStoredContentAddressedUnderTheRoot() throws Exception {
        Digest d = put(random(100, 23));
        assertThat(Files.readAllBytes(root.resolve("blobs/sha256/" + d.hex().substring(0, 2) + "/" + d.hex())))
                .isEqualTo(random(100, 23));
        try (Stream<Path> all = Files.walk(root)) {
            assertThat(all.filter(Files::isRegularFile)).allMatch(p -> p.startsWith(root));
        }
    }

    @Test
    void evictsTheLeastRecentlyUsedBlobsBeyondMaxBytes() throws Exception {
        store.close();
        DiskBlobStore small = DiskBlobStore.open(root, 25_000, Runnable::run, clock);
        store = small;
        List<Digest> digests = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            digests.add(put(random(10_000, 30 + i)));
            clock.advance(Duration.ofSeconds(1));
        }
        // Touch the older one: the other becomes least recently used.
        read(small.open(digests.get(0), 0, 1).join());
        clock.advance(Duration.ofSeconds(1));
        digests.add(put(random(10_000, 40)));

        assertThat(small.usedBytes()).isLessThanOrEqualTo(25_000);
        assertThat(small.statNow(digests.get(1))).as("least recently used").isEmpty();
        assertThat(small.statNow(digests.get(0))).as("recently read").isPresent();
        assertThat(small.statNow(digests.get(2))).as("just written").isPresent();
        assertThat(Files.exists(small.pathOf(digests.get(1)))).isFalse();
    }

    @Test
    void evictionLeavesPinnedBlobsAloneAndTakesTheNextLeastRecentlyUsed() throws Exception {
        store.close();
        DiskBlobStore small = DiskBlobStore.open(root, 25_000, Runnable::run, clock);
        store = small;
        Digest pushed = put(random(10_000, 60));
        clock.advance(Duration.ofSeconds(1));
        Digest cached = put(random(10_000, 61));
        clock.advance(Duration.ofSeconds(1));
        small.pin(pushed::equals);
        Digest latest = put(random(10_000, 62));

        assertThat(small.statNow(pushed)).as("pinned, though least recently used").isPresent();
        assertThat(small.statNow(cached)).as("next least recently used").isEmpty();
        assertThat(small.statNow(latest)).isPresent();
        assertThat(small.usedBytes()).isLessThanOrEqualTo(25_000);
    }

    @Test
    void aReaderKeepsReadingABlobEvictedUnderIt() throws Exception {
        byte[] bytes = random(50_000, 50);
        Digest d = put(bytes);
        var content = store.open(d, 0, bytes.length).join();
        assertThat(store.delete(d).join()).isTrue();
        assertThat(read(content)).isEqualTo(bytes);
    }
}
