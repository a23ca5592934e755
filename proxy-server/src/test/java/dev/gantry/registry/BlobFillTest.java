package dev.gantry.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gantry.content.BodyConsumer;
import dev.gantry.content.ByteStream;
import dev.gantry.oci.Digest;
import dev.gantry.storage.DiskBlobStore;
import dev.gantry.upstream.UpstreamException;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fill's spool writes (behind the source by a bounded amount, in order, verified) and its deadline. */
class BlobFillTest {

    @TempDir
    Path tmp;

    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void stopTimers() {
        timers.shutdownNow();
    }

    /** Runs tasks only when told to, so the test decides when the disk "catches up". */
    static final class ManualExecutor implements Executor {
        final ArrayDeque<Runnable> tasks = new ArrayDeque<>();

        @Override
        public void execute(Runnable r) {
            tasks.add(r);
        }

        void runAll() {
            Runnable r;
            while ((r = tasks.poll()) != null) {
                r.run();
            }
        }
    }

    /** A source whose chunks the test pushes; records the consumer. */
    static final class PushedStream implements ByteStream {
        final long length;
        BodyConsumer consumer;

        PushedStream(long length) {
            this.length = length;
        }

        @Override
        public long contentLength() {
            return length;
        }

        @Override
        public void subscribe(BodyConsumer c) {
            consumer = c;
        }

        @Override
        public void discard() {
        }
    }

    private static final int CHUNK = 16 * 1024;

    @Test
    void theSourceIsNotPausedPerChunkOnlyWhenTheWritesFallTooFarBehind() throws Exception {
        ManualExecutor blocking = new ManualExecutor();
        DiskBlobStore disk = DiskBlobStore.open(tmp, 1L << 30, blocking, Clock.systemUTC());
        byte[] blob = new byte[4 * BlobFill.WRITE_BEHIND_BYTES];
        new Random(1).nextBytes(blob);
        Digest digest = Digest.sha256(blob);
        BlobFill fill = new BlobFill(digest, disk, blocking);
        PushedStream source = new PushedStream(blob.length);
        fill.start(CompletableFuture.completedFuture(new BlobTiers.Sourced(BlobTiers.Origin.UPSTREAM, source)));
        blocking.runAll(); // opens the spool writer, subscribes

        int offset = 0;
        int acceptedWithoutWaiting = 0;
        CompletionStage<?> stage;
        // Nothing is written yet: the source may run ahead until the write-behind bound.
        do {
            stage = source.consumer.onData(Unpooled.wrappedBuffer(blob, offset, CHUNK));
            offset += CHUNK;
            if (stage.toCompletableFuture().isDone()) {
                acceptedWithoutWaiting++;
            }
        } while (stage.toCompletableFuture().isDone());
        assertThat(acceptedWithoutWaiting).as("chunks taken before the source had to wait")
                .isEqualTo(BlobFill.WRITE_BEHIND_BYTES / CHUNK - 1);

        blocking.runAll(); // the disk catches up
        assertThat(stage.toCompletableFuture()).isCompleted();

        while (offset < blob.length) {
            source.consumer.onData(Unpooled.wrappedBuffer(blob, offset, CHUNK));
            offset += CHUNK;
            blocking.runAll();
        }
        source.consumer.onEnd();
        blocking.runAll();
        fill.done().get();
        assertThat(fill.committed()).isTrue();
        assertThat(disk.statNow(digest)).hasValue(blob.length);
    }

    @Test
    void aCorruptBodyFailsTheFillAndCommitsNothing() throws Exception {
        ManualExecutor blocking = new ManualExecutor();
        DiskBlobStore disk = DiskBlobStore.open(tmp, 1L << 30, blocking, Clock.systemUTC());
        byte[] blob = new byte[20 * CHUNK];
        new Random(2).nextBytes(blob);
        Digest digest = Digest.sha256(blob);
        blob[blob.length / 2] ^= 1;
        BlobFill fill = new BlobFill(digest, disk, blocking);
        PushedStream source = new PushedStream(blob.length);
        fill.start(CompletableFuture.completedFuture(new BlobTiers.Sourced(BlobTiers.Origin.UPSTREAM, source)));
        blocking.runAll();
        for (int offset = 0; offset < blob.length; offset += CHUNK) {
            source.consumer.onData(Unpooled.wrappedBuffer(blob, offset, CHUNK));
        }
        source.consumer.onEnd();
        blocking.runAll();
        assertThat(fill.done()).isCompletedExceptionally();
        assertThat(fill.committed()).isFalse();
        assertThat(disk.statNow(digest)).isEmpty();
    }

    @Test
    void aReaderArrivingAfterTheFillFailedGetsTheFillsFailureNotNotStored() throws Exception {
        ManualExecutor blocking = new ManualExecutor();
        DiskBlobStore disk = DiskBlobStore.open(tmp, 1L << 30, blocking, Clock.systemUTC());
        byte[] blob = new byte[20 * CHUNK];
        new Random(3).nextBytes(blob);
        Digest digest = Digest.sha256(blob);
        FillCoordinator fills = new FillCoordinator(disk, blocking, timers, System::nanoTime, new BlobEventHub(java.time.Clock.systemUTC(), 16));
        PushedStream source = new PushedStream(blob.length);
        FillCoordinator.Claim claim = fills.claim(digest, "upstream",
                () -> CompletableFuture.completedFuture(new BlobTiers.Sourced(BlobTiers.Origin.UPSTREAM, source)));
        blocking.runAll(); // spool opened: the size is known, a response could start
        assertThat(claim.fill().sized()).isCompletedWithValue((long) blob.length);

        // The upstream cuts off before the client's open: the fill fails and its spool is removed.
        source.consumer.onData(Unpooled.wrappedBuffer(blob, 0, CHUNK));
        IOException cut = new IOException("connection closed after 16384 of " + blob.length + " bytes");
        source.consumer.onError(cut);
        blocking.runAll();

        CompletableFuture<?> open = fills.open(claim.fill(), 0, blob.length);
        blocking.runAll();
        assertThat(open).isCompletedExceptionally();
        assertThatThrownBy(open::join).hasCause(cut);
        assertThat(disk.statNow(digest)).isEmpty();
    }

    @Test
    void aSourceThatThrowsInsteadOfFailingEndsItsFillSoTheNextClaimStartsAnew() throws Exception {
        ManualExecutor blocking = new ManualExecutor();
        DiskBlobStore disk = DiskBlobStore.open(tmp, 1L << 30, blocking, Clock.systemUTC());
        byte[] blob = new byte[2 * CHUNK];
        new Random(5).nextBytes(blob);
        Digest digest = Digest.sha256(blob);
        FillCoordinator fills = new FillCoordinator(disk, blocking, timers, System::nanoTime, new BlobEventHub(Clock.systemUTC(), 16));
        IllegalArgumentException thrown = new IllegalArgumentException("unresolved address");
        FillCoordinator.Claim claim = fills.claim(digest, "upstream", () -> {
            throw thrown;
        });
        blocking.runAll();
        assertThat(claim.fill().done()).as("the fill whose source threw").isCompletedExceptionally();
        assertThat(claim.fill().sized()).isCompletedExceptionally();
        assertThat(fills.inFlight(digest)).as("a fill left for later requests to join").isNull();
        assertThat(fills.inFlight("upstream")).as("fills counted for the group").isZero();

        PushedStream source = new PushedStream(blob.length);
        FillCoordinator.Claim again = fills.claim(digest, "upstream",
                () -> CompletableFuture.completedFuture(new BlobTiers.Sourced(BlobTiers.Origin.UPSTREAM, source)));
        assertThat(again.started()).as("the next claim starts a fill of its own").isTrue();
    }

    @Test
    void aSourceThatSaysZeroBytesForANonEmptyDigestIsNotSizedBeforeItsDigestIsChecked() throws Exception {
        ManualExecutor blocking = new ManualExecutor();
        DiskBlobStore disk = DiskBlobStore.open(tmp, 1L << 30, blocking, Clock.systemUTC());
        Digest digest = Digest.sha256(new byte[] {1, 2, 3});
        FillCoordinator fills = new FillCoordinator(disk, blocking, timers, System::nanoTime, new BlobEventHub(Clock.systemUTC(), 16));
        PushedStream source = new PushedStream(0);
        FillCoordinator.Claim claim = fills.claim(digest, "upstream",
                () -> CompletableFuture.completedFuture(new BlobTiers.Sourced(BlobTiers.Origin.UPSTREAM, source)));
        blocking.runAll();
        assertThat(claim.fill().sized()).as("a size of 0 told before any check: a complete, empty 200").isNotDone();
        source.consumer.onEnd();
        blocking.runAll();
        assertThat(claim.fill().sized()).isCompletedExceptionally();
        assertThat(claim.fill().done()).isCompletedExceptionally();
        assertThat(disk.statNow(digest)).isEmpty();
    }

    private BlobFill deadlined(Digest digest, DiskBlobStore disk, FillLimits limits) {
        Executor direct = Runnable::run;
        return new BlobFill(digest, disk, direct, new FillDeadline(timers, direct, System::nanoTime, limits));
    }

    @Test
    void aFillWhoseSourceFallsSilentFailsAfterTheIdleLimitAndStopsItsSource() throws Exception {
        DiskBlobStore disk = DiskBlobStore.open(tmp, 1L << 30, Runnable::run, Clock.systemUTC());
        byte[] blob = new byte[4 * CHUNK];
        new Random(4).nextBytes(blob);
        BlobFill fill = deadlined(Digest.sha256(blob), disk, new FillLimits(Duration.ofMillis(300), Duration.ofSeconds(30)));
        PushedStream source = new PushedStream(blob.length);
        fill.start(CompletableFuture.completedFuture(new BlobTiers.Sourced(BlobTiers.Origin.UPSTREAM, source)));
        source.consumer.onData(Unpooled.wrappedBuffer(blob, 0, CHUNK));

        // Nothing more comes, and the source never reports an end (a transport that lost track).
        assertThat(fill.done()).failsWithin(Duration.ofSeconds(5))
                .withThrowableThat().havingRootCause().isInstanceOf(UpstreamException.class).withMessageContaining("no bytes for 300 ms");
        assertThat(fill.sized()).isCompletedWithValue((long) blob.length);
        assertThat(source.consumer.onData(Unpooled.wrappedBuffer(blob, CHUNK, CHUNK)))
                .as("the source's next chunk is refused, which closes its connection").isCompletedExceptionally();
        assertThat(disk.statNow(fill.digest())).isEmpty();
    }

    @Test
    void aFillWhoseSourceNeverAnswersFailsAfterTheFirstAnswerLimit() throws Exception {
        DiskBlobStore disk = DiskBlobStore.open(tmp, 1L << 30, Runnable::run, Clock.systemUTC());
        BlobFill fill = deadlined(Digest.sha256(new byte[1]), disk, new FillLimits(Duration.ofMillis(100), Duration.ofMillis(400)));
        fill.start(new CompletableFuture<>());
        assertThat(fill.done()).failsWithin(Duration.ofSeconds(5))
                .withThrowableThat().havingRootCause().withMessageContaining("no answer from the source within 400 ms");
        assertThat(fill.sized()).isCompletedExceptionally();
    }

    @Test
    void aFillThatKeepsReceivingBytesOutlivesItsIdleLimit() throws Exception {
        DiskBlobStore disk = DiskBlobStore.open(tmp, 1L << 30, Runnable::run, Clock.systemUTC());
        byte[] blob = new byte[12 * CHUNK];
        new Random(5).nextBytes(blob);
        // An idle limit ten times the source's pauses: a loaded machine's stall of a few hundred ms stays under it.
        BlobFill fill = deadlined(Digest.sha256(blob), disk, new FillLimits(Duration.ofMillis(1000), Duration.ofSeconds(30)));
        PushedStream source = new PushedStream(blob.length);
        fill.start(CompletableFuture.completedFuture(new BlobTiers.Sourced(BlobTiers.Origin.UPSTREAM, source)));
        long started = System.nanoTime();
        for (int i = 0; i < 12; i++) {
            Thread.sleep(100); // a slow source: at least 1.2 s in all, never a second silent
            source.consumer.onData(Unpooled.wrappedBuffer(blob, i * CHUNK, CHUNK));
        }
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThan(Duration.ofMillis(1000));
        source.consumer.onEnd();
        assertThat(fill.done()).succeedsWithin(Duration.ofSeconds(5));
        assertThat(disk.statNow(fill.digest())).hasValue(blob.length);
    }
}
