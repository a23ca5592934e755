package dev.gantry.hardware;

import dev.gantry.metrics.GantryMetrics;
import dev.gantry.oci.Digest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Layers this replica got from another member of the fleet (the one that
 * fetched them from the upstream, which scans them there and stores the
 * findings in the shared store) or from the shared tier it uploaded them to:
 * their findings are taken from the store instead of a second scan. They are
 * looked for now (when they may be there already) or after {@code
 * yieldToFills} (which the other replica's scan may wait too) plus the first
 * of {@link #CHECKS}, then after each further pause; once found, the layer is
 * reported as scanned here ({@code gantry_scans_total{result="adopted"}}).
 * When they never come (a replica that did not know it was a layer, or died,
 * or findings of an older scanner), the layer is scanned here after all,
 * unless it left this disk meanwhile (then it is scanned when someone asks).
 */
final class OwnersFindings {

    private static final Logger log = LoggerFactory.getLogger(OwnersFindings.class);
    /** The pauses before each look, the first after the other replica's own wait for fills: about 40 s in all. */
    static final Duration[] CHECKS = {Duration.ofSeconds(3), Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(20)};

    private final LayerScans scans;
    private final Executor blocking;
    private final GantryMetrics metrics;
    private final long yieldMillis;
    private final Set<Digest> awaiting = ConcurrentHashMap.newKeySet();

    OwnersFindings(LayerScans scans, Executor blocking, GantryMetrics metrics, Duration yieldToFills) {
        this.scans = scans;
        this.blocking = blocking;
        this.metrics = metrics;
        this.yieldMillis = yieldToFills.toMillis();
    }

    /** Whether the findings of {@code layer} are awaited from another replica (no scan here meanwhile). */
    boolean awaiting(Digest layer) {
        return awaiting.contains(layer);
    }

    /** The layer was scanned here after all (someone asked for its findings): nothing to take from another replica. */
    void scannedHere(Digest layer) {
        awaiting.remove(layer);
    }

    /** Starts waiting for the findings of {@code layer}, unless that is under way. Never blocks. */
    void await(Digest layer, String mediaType, Path file, boolean lookNow) {
        if (awaiting.add(layer)) {
            look(layer, mediaType, file, lookNow ? -1 : 0);
        }
    }

    /** Looks for the findings after the pause before check {@code check} (-1: at once). */
    private void look(Digest layer, String mediaType, Path file, int check) {
        long delay = check < 0 ? 0 : (check == 0 ? yieldMillis : 0) + CHECKS[check].toMillis();
        Executor later = CompletableFuture.delayedExecutor(delay, TimeUnit.MILLISECONDS, blocking);
        CompletableFuture.runAsync(() -> { }, later).thenCompose(v -> scans.stored(layer)).whenComplete((found, e) -> {
            if (scans.closed() || !awaiting.contains(layer)) {
                awaiting.remove(layer); // closed; or scanned here meanwhile, for someone who asked (not adopted)
            } else if (found != null && found.isPresent()) {
                awaiting.remove(layer);
                metrics.scanAdopted();
                scans.reportScanned(layer);
            } else if (check + 1 < CHECKS.length) {
                look(layer, mediaType, file, check + 1);
            } else {
                awaiting.remove(layer);
                if (Files.exists(file)) {
                    scans.background(layer, mediaType, file);
                } else {
                    log.info("no findings of {} came from the replica that fetched it, and it left this disk unscanned", layer);
                }
            }
        });
    }
}
