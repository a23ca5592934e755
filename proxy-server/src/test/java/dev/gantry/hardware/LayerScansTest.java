package dev.gantry.hardware;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.metrics.GantryMetrics;
import dev.gantry.oci.Digest;
import dev.gantry.scan.LayerBuilder;
import dev.gantry.scan.LayerFindings;
import dev.gantry.scan.LayerScanner;
import dev.gantry.scan.ScanLimits;
import dev.gantry.scan.kb.KnowledgeBase;
import dev.gantry.storage.DiskMetadataStore;
import dev.gantry.testing.Awaits;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Background scans yield to fills, for a bounded time, and never to a caller who waits. */
class LayerScansTest {

    private static final String GZIP_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip";

    @TempDir
    Path tmp;

    private final ExecutorService blocking = Executors.newFixedThreadPool(2);
    private final AtomicBoolean filling = new AtomicBoolean();
    /** Times a scan asked whether fills run: a yielding scan asks again and again. */
    private final AtomicInteger askedAboutFills = new AtomicInteger();
    private LayerScans scans;

    @AfterEach
    void stop() {
        if (scans != null) {
            scans.close();
        }
        blocking.shutdownNow();
    }

    private LayerScans scans(Duration yieldToFills) throws Exception {
        scans = new LayerScans(new LayerScanner(KnowledgeBase.embedded(), ScanLimits.defaults()),
                new DiskMetadataStore(tmp.resolve("meta")), blocking, new GantryMetrics(), 1, 16, () -> {
                    askedAboutFills.incrementAndGet();
                    return filling.get();
                }, yieldToFills);
        return scans;
    }

    private record Layer(Digest digest, Path file) {
    }

    private Layer layer(String name) throws Exception {
        byte[] gz = new LayerBuilder().file("etc/" + name, "content of " + name).gzip();
        Digest d = Digest.sha256(gz);
        Path file = tmp.resolve(name + ".tar.gz");
        Files.write(file, gz);
        return new Layer(d, file);
    }

    private boolean scanned(Layer l) {
        return scans.stored(l.digest()).join().isPresent();
    }

    /** Waits until a queued background scan has looked at the fills {@code times} times, i.e. is yielding. */
    private void awaitYielding(int times) {
        Awaits.until(() -> askedAboutFills.get() >= times, Duration.ofSeconds(5), "a background scan yielding to fills");
    }

    @Test
    void aBackgroundScanWaitsWhileFillsRunAndStartsWhenTheyEnd() throws Exception {
        scans(Duration.ofSeconds(30));
        Layer l = layer("a");
        filling.set(true);

        scans.background(l.digest(), GZIP_LAYER, l.file());
        awaitYielding(3);
        assertThat(scanned(l)).as("scanned while a fill runs").isFalse();

        filling.set(false);
        Awaits.until(() -> scanned(l), Duration.ofSeconds(5), "scanned once the fills ended");
    }

    @Test
    void aBackgroundScanWaitsNoLongerThanTheBound() throws Exception {
        scans(Duration.ofMillis(300));
        Layer l = layer("b");
        filling.set(true); // and never ends

        long start = System.nanoTime();
        scans.background(l.digest(), GZIP_LAYER, l.file());
        Awaits.until(() -> scanned(l), Duration.ofSeconds(5), "scanned although fills never end");

        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).as("ms until scanned").isGreaterThanOrEqualTo(300);
    }

    @Test
    void aCallerWaitingForAScanEndsTheYield() throws Exception {
        scans(Duration.ofSeconds(30));
        Layer held = layer("c");
        Layer wanted = layer("d");
        filling.set(true);
        scans.background(held.digest(), GZIP_LAYER, held.file());
        awaitYielding(1);

        // A query needs another layer: it queues behind the held scan, which must now go ahead.
        CompletableFuture<LayerFindings> f = scans.findings(wanted.digest(), GZIP_LAYER,
                () -> CompletableFuture.completedFuture(wanted.file()));

        assertThat(f.get(5, TimeUnit.SECONDS).layer()).isEqualTo(wanted.digest().toString());
        assertThat(scanned(held)).isTrue();
    }

    @Test
    void withoutYieldABackgroundScanStartsAtOnceWhileFillsRun() throws Exception {
        scans(Duration.ZERO);
        Layer l = layer("e");
        filling.set(true);

        scans.background(l.digest(), GZIP_LAYER, l.file());
        Awaits.until(() -> scanned(l), Duration.ofSeconds(5), "scanned although fills never end");

    }
}
