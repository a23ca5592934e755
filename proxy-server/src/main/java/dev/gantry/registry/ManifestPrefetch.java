package dev.gantry.registry;

import dev.gantry.config.PrefetchConfig;
import dev.gantry.metrics.GantryMetrics;
import dev.gantry.oci.Descriptor;
import dev.gantry.oci.Digest;
import dev.gantry.oci.Manifest;
import dev.gantry.oci.Platform;
import dev.gantry.oci.Reference;
import dev.gantry.oci.RegistryException;
import dev.gantry.prefetch.PrefetchScheduler;
import dev.gantry.upstream.UpstreamRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * Manifest-triggered prefetch (Anwar et al., FAST'18: a manifest request for
 * a recently updated repository predicts pulls of its layers). When an image
 * manifest is served, the fills of its config and layers that no tier holds
 * start at once (smallest first), through the same {@link FillCoordinator} as client fills, so
 * a client asking for one of them joins it. For an index, the platform the
 * client asks for next is prefetched when it asks for that manifest, and the
 * platforms in {@code prefetch.platforms} right away.
 */
public final class ManifestPrefetch implements BlobEvents.Listener {

    /** Blobs under this size are prefetched first; larger ones once those are done. */
    static final long SMALL_BLOB = 1L << 20;
    /** The large blobs start at the latest this long after the small ones. */
    static final Duration SMALL_PHASE_MAX = Duration.ofSeconds(2);

    private final PrefetchConfig config;
    private final PullThroughManifests manifests;
    private final PrefetchFills fills;
    private final UpstreamRegistry upstream;
    private final PrefetchScheduler scheduler;
    private final GantryMetrics metrics;
    private final Executor blocking;
    private final Clock clock;
    private final List<Platform> platforms;

    /**
     * @param scheduler runs {@code fills}' tasks within the configured
     *     concurrency; the composition root builds it over the fills in flight
     *     and the upstreams' budget
     */
    public ManifestPrefetch(PrefetchConfig config, PullThroughManifests manifests, PrefetchFills fills,
                            PrefetchScheduler scheduler, UpstreamRegistry upstream, GantryMetrics metrics,
                            Executor blocking, Clock clock) {
        this.config = config;
        this.manifests = manifests;
        this.fills = fills;
        this.scheduler = scheduler;
        this.upstream = upstream;
        this.metrics = metrics;
        this.blocking = blocking;
        this.clock = clock;
        this.platforms = config.platforms().stream().map(Platform::parse).toList();
    }

    PrefetchScheduler scheduler() {
        return scheduler;
    }

    /** Called with every manifest served anew; the work happens on a blocking thread, never on the caller's. */
    @Override
    public void manifestServedAnew(Repository repo, ManifestResult m) {
        if (config.mode() == PrefetchConfig.Mode.OFF) {
            metrics.prefetchManifest("off");
            return;
        }
        if (config.mode() == PrefetchConfig.Mode.RECENT && !recent(repo)) {
            metrics.prefetchManifest("not_recent");
            return;
        }
        blocking.execute(() -> plan(repo, m));
    }

    /**
     * A manifest is on its way from upstream: open the connections its
     * blobs' fills will need while it travels, so that neither prefetch nor
     * the client's first blob requests pay a handshake round trip each. A
     * manifest GET goes upstream only when a tag moved or is new — the
     * moments blob fetches follow — and no request is sent on them.
     */
    @Override
    public void manifestFetching(Repository repo) {
        if (config.mode() == PrefetchConfig.Mode.OFF || repo.isHosted()) {
            return;
        }
        upstream.preconnect(repo.upstream(), config.maxConcurrentPerUpstream());
    }

    private boolean recent(Repository repo) {
        Instant updated = manifests.updatedAt(repo);
        return updated != null && !updated.isBefore(clock.instant().minus(config.recentWithin()));
    }

    private void plan(Repository repo, ManifestResult m) {
        Manifest parsed;
        try {
            parsed = Manifest.parse(m.body(), m.mediaType());
        } catch (RegistryException e) {
            metrics.prefetchManifest("unparsable");
            return;
        }
        // Small blobs first, smallest first, and the large ones only once those are done. The small
        // ones are what a client waits on right after the manifest (most layers are under 1 MB:
        // Anwar et al.); started alone they have the upstream link and this replica's CPU to
        // themselves, where large fills started beside them would take both.
        List<Descriptor> blobs = new ArrayList<>(parsed.blobs());
        blobs.sort(Comparator.comparingLong(Descriptor::size));
        List<PrefetchFills.BlobTask> large = new ArrayList<>();
        List<CompletableFuture<Void>> smallDone = new ArrayList<>();
        for (Descriptor d : blobs) {
            Digest digest = d.parsedDigest();
            if (!fills.heldOrFilling(digest)) {
                PrefetchFills.BlobTask task = fills.task(repo, digest, d.size());
                if (d.size() >= SMALL_BLOB) {
                    large.add(task);
                } else {
                    submit(task);
                    smallDone.add(task.finished);
                }
            } else {
                metrics.prefetch("skipped_cached");
            }
        }
        if (!large.isEmpty()) {
            // A small fill that stalls must not hold the large ones back for as long as its timeout.
            CompletableFuture.allOf(smallDone.toArray(CompletableFuture[]::new))
                    .completeOnTimeout(null, SMALL_PHASE_MAX.toMillis(), TimeUnit.MILLISECONDS)
                    // Whoever completes the last small fill may be an event loop: plan on a blocking thread.
                    .whenCompleteAsync((v, e) -> large.forEach(this::submit), blocking);
        }
        if (parsed.isIndex()) {
            for (Platform p : platforms) {
                parsed.manifestFor(p).ifPresent(child -> manifests.get(repo,
                        Reference.of(child.parsedDigest()), List.of()));
            }
        }
        metrics.prefetchManifest("planned");
    }

    private void submit(PrefetchFills.BlobTask task) {
        if (!scheduler.submit(task)) {
            task.finished.complete(null); // a duplicate, or no room: nothing to wait for
        }
    }

    /** A client asked for a blob: if it was prefetched, the prefetch was used. */
    void requested(Digest d) {
        fills.requested(d);
    }

    /** A tier evicted a blob: if it was prefetched and never asked for, the prefetch was wasted. */
    @Override
    public void evicted(Digest d, long size) {
        fills.evicted(d);
    }

    /** Any fill finished: capacity may have freed up. */
    @Override
    public void fillCommitted(Digest d, BlobTiers.Origin origin) {
        scheduler.poke();
    }

    @Override
    public void fillFailed(Digest d, BlobTiers.Origin origin) {
        scheduler.poke();
    }

    Map<String, Object> status() {
        return Map.of("mode", config.mode().name().toLowerCase(Locale.ROOT),
                "queued", scheduler.queued(), "running", scheduler.running(),
                "issued", metrics.prefetchCount("issued"), "used", metrics.prefetchCount("used"),
                "wasted", metrics.prefetchCount("wasted"));
    }
}
