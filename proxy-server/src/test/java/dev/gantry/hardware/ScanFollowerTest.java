package dev.gantry.hardware;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.config.CacheConfig;
import dev.gantry.metrics.GantryMetrics;
import dev.gantry.oci.Digest;
import dev.gantry.oci.MediaTypes;
import dev.gantry.oci.Reference;
import dev.gantry.registry.ArtifactPort;
import dev.gantry.registry.CacheOutcome;
import dev.gantry.registry.ManifestResult;
import dev.gantry.registry.Repositories;
import dev.gantry.registry.Repository;
import java.io.IOException;
import dev.gantry.scan.ImageAnalyzer;
import dev.gantry.scan.LayerBuilder;
import dev.gantry.scan.LayerScanner;
import dev.gantry.scan.ScanLimits;
import dev.gantry.scan.kb.KnowledgeBase;
import dev.gantry.storage.DiskMetadataStore;
import dev.gantry.storage.StorageLayout;
import dev.gantry.testing.Awaits;
import dev.gantry.testing.CountingMetadataStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An image's document waits for its layers' findings, and what that costs the
 * store: a layer a pull brings is read from the store once (by its arrival's
 * scan), not also for the manifest; a layer that never arrives (the client
 * had it) is looked for there later.
 */
class ScanFollowerTest {

    private static final String GZIP_LAYER = MediaTypes.OCI_LAYER_GZIP;

    @TempDir
    Path tmp;

    private final ExecutorService blocking = Executors.newFixedThreadPool(2);
    /** Its queue shows the later looks scheduled; a test may run them itself. */
    private final ScheduledThreadPoolExecutor timers = new ScheduledThreadPoolExecutor(1);
    /** Layers on "this replica's disk". */
    private final Map<Digest, Path> disk = new ConcurrentHashMap<>();
    private CountingMetadataStore meta;
    private LayerScans scans;

    @AfterEach
    void stop() {
        if (scans != null) {
            scans.close();
        }
        blocking.shutdownNow();
        timers.shutdownNow();
    }

    private ScanFollower follower(Duration lookLater) throws Exception {
        return follower(lookLater, true);
    }

    private ScanFollower follower(Duration lookLater, boolean scanning) throws Exception {
        return follower(lookLater, scanning, null);
    }

    /** @param artifacts where a document's build reads the image's config; null where none is built */
    private ScanFollower follower(Duration lookLater, boolean scanning, ArtifactPort artifacts) throws Exception {
        meta = new CountingMetadataStore(new DiskMetadataStore(tmp.resolve("meta")));
        KnowledgeBase kb = KnowledgeBase.embedded();
        GantryMetrics metrics = new GantryMetrics();
        scans = new LayerScans(new LayerScanner(kb, ScanLimits.defaults()), meta, blocking, metrics, 1, 16, () -> false,
                Duration.ZERO);
        CacheConfig.Entries sizes = new CacheConfig.Entries(null, null, null, null, null, null, null, null, null, null, null,
                null, null, null, null, null, null);
        // Documents are not built here (no registry to read configs from): what is tested is the wait for findings.
        HardwareService hardware = new HardwareService(null, artifacts, scans, new ImageAnalyzer(kb, Clock.systemUTC()), meta,
                blocking, Clock.systemUTC(), sizes);
        HardwareCatalog catalog = new HardwareCatalog(new CatalogStore(meta, blocking), blocking, 100, (repo, manifest) -> true);
        ScanFollower follower = new ScanFollower(hardware, scans, catalog, d -> Optional.ofNullable(disk.get(d)), scanning,
                timers, lookLater, Clock.systemUTC(), sizes);
        scans.onScanned(follower::scanned); // as the composition root relays it through the blob events
        return follower;
    }

    private record Layer(Digest digest, Path file) {
    }

    private Layer layer(String name) throws Exception {
        byte[] gz = new LayerBuilder().file("etc/" + name, "content of " + name).gzip();
        Path file = tmp.resolve(name + ".tar.gz");
        Files.write(file, gz);
        return new Layer(Digest.sha256(gz), file);
    }

    private static ManifestResult manifest(List<Layer> layers) {
        return manifest(layers, "{}");
    }

    private static ManifestResult manifest(List<Layer> layers, String config) {
        byte[] configBytes = config.getBytes(StandardCharsets.UTF_8);
        StringBuilder json = new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",")
                .append("\"config\":{\"mediaType\":\"").append(MediaTypes.OCI_CONFIG).append("\",\"digest\":\"")
                .append(Digest.sha256(configBytes)).append("\",\"size\":").append(configBytes.length)
                .append("},\"layers\":[");
        for (int i = 0; i < layers.size(); i++) {
            json.append(i == 0 ? "" : ",").append("{\"mediaType\":\"").append(GZIP_LAYER).append("\",\"digest\":\"")
                    .append(layers.get(i).digest()).append("\",\"size\":1}");
        }
        byte[] body = json.append("]}").toString().getBytes(StandardCharsets.UTF_8);
        return new ManifestResult(body, MediaTypes.OCI_MANIFEST, Digest.sha256(body), CacheOutcome.MISS, null);
    }

    /** Waits until {@code n} later looks are scheduled: the follower is done with the manifest for now. */
    private void awaitLaterLooks(int n) {
        Awaits.until(() -> timers.getQueue().size() == n, Duration.ofSeconds(5), n + " later looks scheduled");
    }

    /** Runs the later looks scheduled now, as their time had come. */
    private void runLaterLooks() {
        new ArrayList<>(timers.getQueue()).forEach(task -> {
            timers.remove(task);
            task.run();
        });
    }

    private int findingsReads(Layer l) {
        return meta.count("GET", StorageLayout.scanKey(l.digest()));
    }

    @Test
    void aLayerThePullBringsIsReadFromTheStoreOnceNotAlsoForItsManifest() throws Exception {
        ScanFollower follower = follower(Duration.ofMinutes(5)); // no later look within the test
        Layer pulled = layer("a");
        Layer notYet = layer("b");
        ManifestResult m = manifest(List.of(pulled, notYet));

        follower.seen(Repositories.hosted("local/app"), Reference.parse("v1"), m);
        awaitLaterLooks(2); // neither layer is here yet
        assertThat(follower.awaiting(m.digest())).as("the image waits for its layers").isTrue();
        // One of the pull's blobs arrives and is scanned as it does (ScanOnArrival).
        disk.put(pulled.digest(), pulled.file());
        scans.background(pulled.digest(), GZIP_LAYER, pulled.file());

        Awaits.until(() -> meta.count("PUT", StorageLayout.scanKey(pulled.digest())) == 1, Duration.ofSeconds(10),
                "the arrived layer's findings stored");
        assertThat(findingsReads(pulled)).as("reads of the arrived layer's stored findings (its scan's own)").isEqualTo(1);
        assertThat(findingsReads(notYet)).as("reads of the findings of a layer not here yet").isZero();
        assertThat(follower.awaiting(m.digest())).as("the image still waits for its other layer").isTrue();
    }

    @Test
    void aLayerThatNeverArrivesIsLookedForInTheStoreLater() throws Exception {
        ScanFollower follower = follower(Duration.ofHours(1)); // the test runs the later looks itself
        List<Layer> layers = List.of(layer("c"), layer("d"));
        for (Layer l : layers) { // scanned before, for another image; the client has them and fetches neither
            scans.findings(l.digest(), GZIP_LAYER, () -> CompletableFuture.completedFuture(l.file())).join();
        }
        int[] before = layers.stream().mapToInt(this::findingsReads).toArray();
        ManifestResult m = manifest(layers);

        follower.seen(Repositories.hosted("local/other"), Reference.parse("v1"), m);
        awaitLaterLooks(2);
        for (int i = 0; i < layers.size(); i++) {
            assertThat(findingsReads(layers.get(i)) - before[i]).as("reads of layer %d before the later look", i).isZero();
        }

        runLaterLooks();
        Awaits.until(() -> !follower.awaiting(m.digest()), Duration.ofSeconds(10),
                "the image complete from findings stored earlier");
        for (int i = 0; i < layers.size(); i++) {
            assertThat(findingsReads(layers.get(i)) - before[i]).as("reads of layer %d by the later look", i).isPositive();
        }
    }

    @Test
    void withScanningOffALayerHereWithoutFindingsIsNotScannedButLookedForAgain() throws Exception {
        ScanFollower follower = follower(Duration.ofHours(1), false);
        Layer l = layer("f");
        disk.put(l.digest(), l.file());
        ManifestResult m = manifest(List.of(l));

        follower.seen(Repositories.hosted("local/unscanned"), Reference.parse("v1"), m);

        Awaits.until(() -> findingsReads(l) == 1, Duration.ofSeconds(5), "the layer looked for in the store at once");
        awaitLaterLooks(1); // instead of a scan: hardware.scan is off
        assertThat(scans.queued() + scans.running()).as("scans queued or running").isZero();
        assertThat(meta.count("PUT", StorageLayout.scanKey(l.digest()))).as("findings stored").isZero();
        assertThat(follower.awaiting(m.digest())).isTrue();
    }

    @Test
    void aLayerOnThisDiskWhoseFindingsAreStoredCompletesItsImageAtOnce() throws Exception {
        ScanFollower follower = follower(Duration.ofMinutes(5)); // a later look would not come within the test
        Layer l = layer("e");
        scans.findings(l.digest(), GZIP_LAYER, () -> CompletableFuture.completedFuture(l.file())).join();
        disk.put(l.digest(), l.file());
        int before = findingsReads(l);
        ManifestResult m = manifest(List.of(l));

        follower.seen(Repositories.hosted("local/third"), Reference.parse("v1"), m);

        Awaits.until(() -> findingsReads(l) > before, Duration.ofSeconds(3), "the layer looked for in the store at once");
        Awaits.until(() -> !follower.awaiting(m.digest()), Duration.ofSeconds(10), "the image complete at once");
    }

    @Test
    void anImageEvictedWhileItsLayersAreScannedIsNotBuiltFetchingItsConfigBack() throws Exception {
        // Which repository's build asked for which config: a build reads the image's config first.
        List<String> configReads = new java.util.concurrent.CopyOnWriteArrayList<>();
        ArtifactPort artifacts = new ArtifactPort() {
            @Override
            public CompletableFuture<java.nio.file.Path> blobFile(Repository repo, Digest digest) {
                configReads.add(repo.fullName() + "@" + digest);
                return CompletableFuture.failedFuture(new IOException("not here"));
            }

            @Override
            public CompletableFuture<Void> storeArtifact(Repository repo, Digest manifestDigest, String mediaType,
                                                         byte[] manifest, Map<Digest, byte[]> blobs) {
                return CompletableFuture.completedFuture(null);
            }
        };
        ScanFollower follower = follower(Duration.ofHours(1), true, artifacts);
        Layer l = layer("g");
        Repository evicted = Repositories.hosted("local/evicted");
        Repository kept = Repositories.hosted("local/kept");
        ManifestResult gone = manifest(List.of(l), "{\"gone\":true}");
        ManifestResult stays = manifest(List.of(l), "{\"stays\":true}");
        follower.seen(evicted, Reference.parse("v1"), gone);
        follower.seen(kept, Reference.parse("v1"), stays);
        awaitLaterLooks(2); // both wait for the layer, not here yet
        assertThat(follower.awaiting(gone.digest())).isTrue();

        // The operator evicts the image (CacheEviction tells the observers) before its layer's scan ends.
        follower.removed(evicted, Reference.parse("v1"));
        follower.removed(evicted, Reference.of(gone.digest()));
        assertThat(follower.awaiting(gone.digest())).as("the evicted image still awaited").isFalse();
        assertThat(follower.awaiting(stays.digest())).as("the other repository's image still awaited").isTrue();

        disk.put(l.digest(), l.file());
        scans.background(l.digest(), GZIP_LAYER, l.file());
        // The same scan completes both; the kept image's build reading its config shows it has.
        Awaits.until(() -> !configReads.isEmpty(), Duration.ofSeconds(10), "the kept image's build");
        assertThat(configReads).containsExactly(kept.fullName() + "@" + Digest.sha256("{\"stays\":true}".getBytes(StandardCharsets.UTF_8)));
    }
}
