package dev.gantry.hardware;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gantry.metrics.GantryMetrics;
import dev.gantry.oci.Digest;
import dev.gantry.scan.LayerFindings;
import dev.gantry.scan.LayerScanner;
import dev.gantry.schema.HardwareJson;
import dev.gantry.storage.MetadataStore;
import dev.gantry.storage.StorageLayout;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scans layers once each: findings are stored by layer digest in the
 * metadata store (so replicas sharing S3 share them) with the scanner and
 * knowledge-base versions that produced them, and a layer is scanned again
 * only when those change. Scans run on their own bounded pool behind a
 * bounded queue, never on an event loop; a background scan that does not fit
 * is dropped (it will be done on demand), a scan someone waits for is
 * reported as busy.
 *
 * <p>A background scan yields to fills: while any blob fill runs, it waits,
 * at most {@code yieldToFills} after it was queued, unless someone waits for
 * a scan. Scanning is CPU work that nobody is waiting for; on a small host it
 * competed with the hashing and copying of the very pull that brought the
 * layers (the prefetch benchmark's small layers were twice as slow with it).
 */
public final class LayerScans implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LayerScans.class);
    /** How often a yielding scan looks again: short next to a scan, long next to a context switch. */
    private static final long YIELD_POLL_MS = 20;

    private final LayerScanner scanner;
    private final MetadataStore meta;
    private final Executor blocking;
    private final GantryMetrics metrics;
    private final ThreadPoolExecutor pool;
    private final ObjectMapper json = HardwareJson.mapper();
    private final Map<Digest, CompletableFuture<LayerFindings>> inFlight = new ConcurrentHashMap<>();
    private final BooleanSupplier filling;
    private final long yieldNanos;
    private final List<Consumer<Digest>> scanned = new CopyOnWriteArrayList<>();
    /** Callers waiting for a scan: while there are any, no background scan yields. */
    private final AtomicInteger awaited = new AtomicInteger();
    /** Layers whose findings another replica is expected to store ({@link #backgroundAfterOwner}). */
    private final OwnersFindings owners;

    /**
     * @param filling whether blob fills are running now
     * @param yieldToFills how long a background scan may wait for fills to end; zero: never waits
     */
    public LayerScans(LayerScanner scanner, MetadataStore meta, Executor blocking, GantryMetrics metrics,
                      int concurrency, int queueCapacity, BooleanSupplier filling, Duration yieldToFills) {
        this.scanner = scanner;
        this.filling = filling;
        this.yieldNanos = yieldToFills.toNanos();
        this.meta = meta;
        this.blocking = blocking;
        this.metrics = metrics;
        this.owners = new OwnersFindings(this, blocking, metrics, yieldToFills);
        this.pool = new ThreadPoolExecutor(concurrency, concurrency, 60, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(queueCapacity), new io.netty.util.concurrent.DefaultThreadFactory("gantry-scan", true),
                new ThreadPoolExecutor.AbortPolicy());
        metrics.gauge("gantry_scan_queue", "Layer scans waiting for a scanner thread", () -> pool.getQueue().size());
        metrics.gauge("gantry_scans_running", "Layer scans running now", () -> pool.getActiveCount());
    }

    public LayerScanner scanner() {
        return scanner;
    }

    /** Scans waiting for a thread. */
    public int queued() {
        return pool.getQueue().size();
    }

    /** Scans running now. */
    public int running() {
        return pool.getActiveCount();
    }

    /** The queue's capacity: background scans beyond it are dropped. */
    public int capacity() {
        return pool.getQueue().size() + pool.getQueue().remainingCapacity();
    }

    /**
     * The findings of a layer: stored ones if current, else a scan of the file
     * {@code file} supplies (fetching it if need be). Concurrent callers for
     * one layer share one scan.
     */
    public CompletableFuture<LayerFindings> findings(Digest layer, String mediaType, Supplier<CompletableFuture<Path>> file) {
        CompletableFuture<LayerFindings> f = findings(layer, mediaType, file, false);
        if (!f.isDone()) {
            awaited.incrementAndGet();
            f.whenComplete((v, e) -> awaited.decrementAndGet());
        }
        return f;
    }

    private CompletableFuture<LayerFindings> findings(Digest layer, String mediaType, Supplier<CompletableFuture<Path>> file,
                                                      boolean background) {
        CompletableFuture<LayerFindings> running = inFlight.get(layer);
        if (running != null) {
            return running;
        }
        return stored(layer).thenCompose(found -> {
            if (found.isPresent()) {
                if (background) {
                    reportScanned(layer); // an image waiting on it need not read the store again
                }
                return CompletableFuture.completedFuture(found.get());
            }
            CompletableFuture<LayerFindings> mine = new CompletableFuture<>();
            CompletableFuture<LayerFindings> existing = inFlight.putIfAbsent(layer, mine);
            if (existing != null) {
                return existing;
            }
            file.get().thenCompose(path -> scanOnPool(layer, mediaType, path, background)).whenComplete((f, e) -> {
                inFlight.remove(layer, mine);
                if (e != null) {
                    mine.completeExceptionally(e);
                } else {
                    mine.complete(f);
                }
            });
            return mine;
        });
    }

    /** Queues a scan of a layer that just arrived, unless its findings are stored and current. Never blocks. */
    public void background(Digest layer, String mediaType, Path file) {
        if (handling(layer)) {
            return;
        }
        // findings() reads the stored findings first: one read of the store per layer, not two.
        findings(layer, mediaType, () -> CompletableFuture.completedFuture(file), true).exceptionally(e -> {
            log.debug("background scan of {} not done: {}", layer, e.toString());
            return null;
        });
    }

    /**
     * A layer that another replica fetched from the upstream and scans there:
     * its findings are taken from the shared store rather than scanned again
     * ({@link OwnersFindings}); scanned here only if they do not come. Never blocks.
     *
     * @param lookNow whether the findings may be stored already (a layer from the bucket, not from its owner)
     */
    public void backgroundAfterOwner(Digest layer, String mediaType, Path file, boolean lookNow) {
        if (!inFlight.containsKey(layer)) {
            owners.await(layer, mediaType, file, lookNow);
        }
    }

    /**
     * Whether a scan of {@code layer} runs or is queued here, or its findings are awaited from another
     * replica: the {@link #onScanned} listeners hear of it if that ends with findings stored (not
     * when the scan fails, is turned away, or the other replica's findings never come).
     */
    public boolean handling(Digest layer) {
        return inFlight.containsKey(layer) || owners.awaiting(layer);
    }

    /** Reports a layer's findings as stored (to the {@link #onScanned} listeners). */
    void reportScanned(Digest layer) {
        scanned.forEach(l -> l.accept(layer));
    }

    /** Whether {@link #close} was called. */
    boolean closed() {
        return pool.isShutdown();
    }

    /**
     * Told of each layer whose findings were just stored, or found stored by a
     * background scan or taken from the replica that fetched the layer (the
     * composition root reports it as the blob event {@code scanned}, on which
     * the hardware catalog builds an image's document once all its layers are
     * scanned). A layer may be told more than once. Called on a scanner or
     * blocking thread; must not block.
     */
    public void onScanned(Consumer<Digest> listener) {
        scanned.add(listener);
    }

    /** Stored findings that the current scanner and knowledge base produced. */
    CompletableFuture<Optional<LayerFindings>> stored(Digest layer) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                Optional<byte[]> bytes = meta.get(StorageLayout.scanKey(layer));
                if (bytes.isEmpty()) {
                    return Optional.<LayerFindings>empty();
                }
                LayerFindings f = json.readValue(bytes.get(), LayerFindings.class);
                return scanner.isCurrent(f) ? Optional.of(f) : Optional.<LayerFindings>empty();
            } catch (IOException e) {
                return Optional.<LayerFindings>empty();
            }
        }, blocking);
    }

    private CompletableFuture<LayerFindings> scanOnPool(Digest layer, String mediaType, Path path, boolean background) {
        CompletableFuture<LayerFindings> result = new CompletableFuture<>();
        long queuedAt = System.nanoTime();
        try {
            pool.execute(() -> {
                if (background) {
                    yieldToFills(queuedAt);
                }
                long start = System.nanoTime();
                LayerFindings f;
                try (InputStream in = Files.newInputStream(path)) {
                    f = scanner.scan(layer, mediaType, in);
                } catch (IOException e) {
                    result.completeExceptionally(e);
                    return;
                } catch (RuntimeException e) {
                    result.completeExceptionally(e);
                    return;
                } catch (Error e) {
                    // Whatever a layer did to the scanner, the layer's scan ends: left incomplete, it would stay
                    // in flight, and every later look at the layer would wait on it.
                    log.error("scan of layer {} ended with {}", layer, e.toString());
                    result.completeExceptionally(e);
                    return;
                }
                long bytes = sizeOf(path);
                metrics.scanFinished(f.status().name().toLowerCase(Locale.ROOT), bytes, System.nanoTime() - start);
                if (!f.retryable()) {
                    owners.scannedHere(layer);
                    try {
                        meta.put(StorageLayout.scanKey(layer), json.writeValueAsBytes(f));
                    } catch (IOException e) {
                        log.warn("cannot store the findings of {}: {}", layer, e.toString());
                    }
                }
                if (!f.retryable()) {
                    // Before the caller hears of it: whoever then looks at an image waiting on the layer finds it
                    // reported, not a report still to come that reads the store again.
                    reportScanned(layer);
                }
                result.complete(f);
            });
        } catch (RejectedExecutionException e) {
            metrics.scanFinished("rejected", 0, 0);
            result.completeExceptionally(new ScannerBusyException());
        }
        return result;
    }

    /** Waits while fills run and nobody waits for a scan, until {@code yieldToFills} after {@code queuedAt}. */
    private void yieldToFills(long queuedAt) {
        long deadline = queuedAt + yieldNanos;
        while (awaited.get() == 0 && filling.getAsBoolean() && System.nanoTime() - deadline < 0) {
            try {
                Thread.sleep(YIELD_POLL_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static long sizeOf(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return 0;
        }
    }

    @Override
    public void close() {
        // Interrupts scans (their file reads stop at once) and waits, so nothing writes results after close.
        pool.shutdownNow();
        try {
            pool.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The scan queue is full: come back later. */
    public static final class ScannerBusyException extends RuntimeException {
        ScannerBusyException() {
            super("the scan queue is full", null, false, false);
        }
    }
}
