package dev.gantry.hardware;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.gantry.config.CacheConfig;
import dev.gantry.oci.Descriptor;
import dev.gantry.oci.Digest;
import dev.gantry.oci.Manifest;
import dev.gantry.oci.MediaTypes;
import dev.gantry.oci.Platform;
import dev.gantry.oci.Reference;
import dev.gantry.registry.BlobEvents;
import dev.gantry.registry.ManifestObserver;
import dev.gantry.registry.ManifestResult;
import dev.gantry.registry.Repository;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows what repositories hold into the hardware catalog, and makes each
 * image's document (and its referrer artifacts) as soon as the background
 * scans of all its layers are done, without anyone asking for it and
 * without fetching anything the pull did not: an image manifest served or
 * pushed waits for its layers' findings; a layer already here whose scan
 * was dropped is queued again. A manifest whose layers never arrive (a
 * client that read only the manifest) is forgotten after
 * {@link #WAIT_FOR_LAYERS}; asking {@code _gantry/hardware} still works.
 */
public final class ScanFollower implements ManifestObserver, BlobEvents.Listener {

    private static final Logger log = LoggerFactory.getLogger(ScanFollower.class);
    static final Duration WAIT_FOR_LAYERS = Duration.ofMinutes(30);
    /**
     * How long after its manifest a layer that is not on this disk is looked for in the store: a
     * pull's layers have mostly arrived and been scanned by then, so their findings are not read
     * from the store once for the manifest and again for the arriving layer.
     */
    static final Duration LOOK_LATER = Duration.ofSeconds(10);
    /** Looks for a layer's findings in the store at most (10 s, 30 s, 90 s and 270 s after the manifest). */
    static final int LOOKS = 4;

    /** An image manifest waiting for its layers' findings. */
    private record Pending(Repository repo, Descriptor self, ManifestResult manifest, Platform platform, Set<Digest> waiting) {
    }

    private final HardwareService hardware;
    private final LayerScans scans;
    private final HardwareCatalog catalog;
    private final Function<Digest, Optional<Path>> localFile;
    private final ScheduledExecutorService timers;
    private final Duration lookLater;
    /** Whether layers are scanned in the background ({@code hardware.scan}): else only read. */
    private final boolean scanning;
    /** {@code repository@digest} followed lately: a warm tag is served thousands of times a second. */
    private final Cache<String, Boolean> followed;
    /** The platform an index gives each of its image manifests: the document records it. */
    private final Cache<Digest, Platform> platforms;
    private final Map<Digest, Set<Digest>> waitingOn = new ConcurrentHashMap<>();
    private final Cache<Digest, Pending> pending;

    /**
     * Follows {@code hardware}'s records into {@code catalog} from
     * construction on; register it with the registry as a manifest observer
     * and with the blob events, whose {@code scanned} it waits on.
     *
     * @param localFile a blob's file on this replica's disk, if it is there
     * @param scanning whether a layer here whose findings are not stored is queued for a background scan
     * @param timers runs the later looks for layers that are not here yet (never blocks on them)
     * @param clock times how long a manifest is remembered as followed or waits for its layers
     * @param sizes {@code scanFollowed} and {@code scanPending} bound its in-memory caches
     */
    public ScanFollower(HardwareService hardware, LayerScans scans, HardwareCatalog catalog,
                        Function<Digest, Optional<Path>> localFile, boolean scanning, ScheduledExecutorService timers,
                        Clock clock, CacheConfig.Entries sizes) {
        this(hardware, scans, catalog, localFile, scanning, timers, LOOK_LATER, clock, sizes);
    }

    /** {@code lookLater}: how long after its manifest a layer not on this disk is first looked for in the store. */
    ScanFollower(HardwareService hardware, LayerScans scans, HardwareCatalog catalog, Function<Digest, Optional<Path>> localFile,
                 boolean scanning, ScheduledExecutorService timers, Duration lookLater, Clock clock, CacheConfig.Entries sizes) {
        this.hardware = hardware;
        this.scans = scans;
        this.catalog = catalog;
        this.localFile = localFile;
        this.timers = timers;
        this.lookLater = lookLater;
        this.scanning = scanning;
        Ticker ticker = () -> TimeUnit.MILLISECONDS.toNanos(clock.millis());
        this.followed = Caffeine.newBuilder().maximumSize(sizes.scanFollowed()).expireAfterWrite(Duration.ofMinutes(1))
                .ticker(ticker).build();
        this.platforms = Caffeine.newBuilder().maximumSize(sizes.scanFollowed()).build();
        this.pending = Caffeine.newBuilder().maximumSize(sizes.scanPending()).expireAfterWrite(WAIT_FOR_LAYERS)
                .ticker(ticker)
                .<Digest, Pending>removalListener((digest, p, cause) -> {
                    if (cause != RemovalCause.EXPLICIT && p != null) {
                        p.waiting().forEach(l -> waitingOn.computeIfPresent(l, (k, s) -> {
                            s.remove(digest);
                            return s.isEmpty() ? null : s;
                        }));
                    }
                }).build();
        hardware.onRecorded(catalog::documented);
    }

    @Override
    public void seen(Repository repo, Reference reference, ManifestResult m) {
        try {
            if (followed.asMap().putIfAbsent(repo.fullName() + "@" + m.digest(), Boolean.TRUE) == null) {
                follow(repo, m);
            }
            if (!reference.isDigest()) {
                catalog.tag(repo, reference.tag(), m.digest());
            }
        } catch (RuntimeException e) {
            // Never the request's business: a manifest the catalog cannot read is not listed.
            log.debug("not following {}@{}: {}", repo.fullName(), m.digest(), e.toString());
        }
    }

    @Override
    public void removed(Repository repo, Reference reference) {
        if (reference.isDigest()) {
            followed.invalidate(repo.fullName() + "@" + reference.digest());
            catalog.remove(repo, reference.digest());
            // Its analysis, still waiting on layer scans, would fetch the config back from upstream: it stops.
            pending.asMap().computeIfPresent(reference.digest(),
                    (k, p) -> p.repo().fullName().equals(repo.fullName()) ? null : p);
        } else {
            catalog.untag(repo, reference.tag());
        }
    }

    private void follow(Repository repo, ManifestResult m) {
        Manifest parsed = Manifest.parse(m.body(), m.mediaType());
        if (parsed.isIndex()) {
            List<Digest> images = new ArrayList<>();
            for (Descriptor d : parsed.manifests()) {
                if (d.platform() != null && MediaTypes.isImageManifest(d.mediaType()) && !"unknown".equals(d.platform().os())) {
                    images.add(d.parsedDigest());
                    platforms.put(d.parsedDigest(), d.platform());
                }
            }
            if (images.isEmpty()) {
                return;
            }
            catalog.place(repo, m.digest(), images);
            // Platforms scanned before (another repository, an earlier start) are documented at once; the search
            // lists one under this repository once it holds it: confirmed now (a HEAD) where it is not linked yet.
            images.forEach(d -> hardware.currentRecord(d).thenAccept(r -> r.ifPresent(rec -> {
                catalog.documented(d, rec.document());
                hardware.holds(repo, d);
            })));
            return;
        }
        if (parsed.config() == null || parsed.artifactType() != null || !isImageConfig(parsed.config().mediaType())) {
            return; // an artifact (ours among them), not an image
        }
        if (!catalog.isPlatformInRepository(repo, m.digest())) {
            catalog.place(repo, m.digest(), List.of());
        }
        Descriptor self = new Descriptor(m.mediaType(), m.digest(), m.body().length);
        hardware.currentRecord(m.digest()).thenAccept(r -> {
            if (r.isPresent()) {
                catalog.documented(m.digest(), r.get().document());
                build(repo, self, m); // stored: links its artifacts to this repository too
            } else {
                await(repo, self, m, parsed);
            }
        }).exceptionally(e -> {
            log.debug("following {}: {}", m.digest(), e.toString());
            return null;
        });
    }

    private static boolean isImageConfig(String mediaType) {
        return MediaTypes.OCI_CONFIG.equals(mediaType) || MediaTypes.DOCKER_CONFIG.equals(mediaType);
    }

    private void await(Repository repo, Descriptor self, ManifestResult m, Manifest parsed) {
        Set<Digest> waiting = ConcurrentHashMap.newKeySet();
        parsed.layers().forEach(l -> waiting.add(l.parsedDigest()));
        Pending p = new Pending(repo, self, m, platforms.getIfPresent(m.digest()), waiting);
        if (pending.asMap().putIfAbsent(m.digest(), p) != null) {
            return;
        }
        // Registered before looking, so a scan finishing meanwhile is not missed.
        waiting.forEach(l -> waitingOn.computeIfAbsent(l, k -> ConcurrentHashMap.newKeySet()).add(m.digest()));
        if (waiting.isEmpty()) {
            complete(m.digest(), p);
            return;
        }
        for (Descriptor layer : parsed.layers()) {
            Digest d = layer.parsedDigest();
            if (localFile.apply(d).isPresent()) {
                look(d, layer.mediaType(), 0);
            } else {
                // A pull's layers arrive next and are scanned (or their findings adopted) as they do, which
                // tells scanned(); only a layer that never comes (the client had it) needs the store read.
                lookLater(d, layer.mediaType(), 1);
            }
        }
    }

    /** Looks again after {@code lookLater} times 3^(look-1), unless the layer was reported meanwhile. */
    private void lookLater(Digest d, String mediaType, int look) {
        long delay = lookLater.toMillis() * (long) Math.pow(3, look - 1);
        timers.schedule(() -> {
            if (waitingOn.containsKey(d)) {
                look(d, mediaType, look);
            }
        }, delay, TimeUnit.MILLISECONDS);
    }

    /**
     * Reads the layer's stored findings, unless a scan of it runs or its findings are awaited from
     * the replica that fetched it (which report {@link #scanned} when they end well). A look that
     * leaves the layer unreported (that scan failed or was turned away, the findings are not stored
     * yet, the layer is not here) is tried again later, up to {@link #LOOKS} times in all.
     *
     * @param look how many looks came before this one
     */
    private void look(Digest d, String mediaType, int look) {
        if (scans.handling(d)) {
            if (look < LOOKS) {
                lookLater(d, mediaType, look + 1);
            }
            return;
        }
        scans.stored(d).thenAccept(found -> {
            if (found.isPresent()) {
                scanned(d);
                return;
            }
            Optional<Path> here = localFile.apply(d);
            if (here.isPresent() && scanning) {
                // Here but not scanned (the scan queue was full, or scanning came on later): queue it.
                scans.background(d, mediaType, here.get());
            } else if (look < LOOKS) {
                lookLater(d, mediaType, look + 1);
            }
        });
    }

    /** A layer's findings are stored: images waiting only for it are built. */
    @Override
    public void scanned(Digest layer) {
        Set<Digest> manifests = waitingOn.remove(layer);
        if (manifests == null) {
            return;
        }
        for (Digest m : manifests) {
            Pending p = pending.getIfPresent(m);
            if (p != null && p.waiting().remove(layer) && p.waiting().isEmpty()) {
                complete(m, p);
            }
        }
    }

    /** Whether the image manifest {@code manifest} waits for its layers' findings. */
    boolean awaiting(Digest manifest) {
        return pending.getIfPresent(manifest) != null;
    }

    private void complete(Digest manifest, Pending p) {
        if (pending.asMap().remove(manifest, p)) {
            build(p.repo(), p.self(), p.manifest());
        }
    }

    /** Makes (or reads back) the record: the catalog hears of it, the artifacts are stored and linked to {@code repo}. */
    private void build(Repository repo, Descriptor self, ManifestResult m) {
        hardware.record(repo, self, m, platforms.getIfPresent(m.digest())).exceptionally(e -> {
            log.debug("no hardware document for {}: {}", m.digest(), e.toString());
            return null;
        });
    }
}
