package dev.gantry.registry;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.gantry.config.CacheConfig;
import dev.gantry.config.HostedConfig;
import dev.gantry.config.PrefetchConfig;
import dev.gantry.metrics.GantryMetrics;
import dev.gantry.oci.Descriptor;
import dev.gantry.oci.Digest;
import dev.gantry.oci.ErrorCode;
import dev.gantry.oci.Manifest;
import dev.gantry.oci.Reference;
import dev.gantry.oci.RegistryException;
import dev.gantry.storage.DiskBlobStore;
import dev.gantry.storage.MemoryBlobStore;
import dev.gantry.storage.MetadataStore;
import dev.gantry.storage.RemoteHealth;
import dev.gantry.storage.S3BlobStore;
import dev.gantry.upstream.RateLimitState;
import dev.gantry.upstream.Upstream;
import dev.gantry.upstream.UpstreamRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registry as the HTTP layer sees it: repository resolution plus the
 * services, each dispatching to the pull-through or the hosted implementation
 * by repository. Built once by the application on shared storage; owns the
 * fills in flight, the upload sessions and the prefetcher.
 */
public final class Registry {

    private static final Logger log = LoggerFactory.getLogger(Registry.class);

    /**
     * The storage the registry works on.
     *
     * @param s3 the shared tier, or null when none is configured (then {@code health} is null)
     * @param meta metadata: the disk store, or disk in front of S3
     */
    public record Storage(MemoryBlobStore memory, DiskBlobStore disk, S3BlobStore s3, RemoteHealth health, MetadataStore meta) {
    }

    private final List<Upstream> upstreams;
    private final RepositoryResolver resolver;
    private final PullThroughManifests manifests;
    private final PullThroughBlobs blobs;
    private final PullThroughTags tags;
    private final HostedManifests hostedManifests;
    private final HostedBlobs hostedBlobs;
    private final HostedCatalog catalog;
    private final Uploads uploads;
    private final Referrers referrers;
    private final ManifestService manifestService = new Manifests();
    private final BlobService blobService = new Blobs();
    private final TagService tagService = new Tags();
    private final FillCoordinator fills;
    private final BlobTiers tiers;
    private final ManifestPrefetch prefetch;
    private final Storage storage;
    private final GantryMetrics metrics;
    /** How long a served manifest's layer bookkeeping and prefetch plan stand before it is redone. */
    static final Duration REPLAN_AFTER = Duration.ofSeconds(10);

    private final Executor blocking;
    private final Clock clock;
    private final ManifestStore manifestStore;
    private final RepositoryLinks links;
    private final CacheAdmin admin;
    private final List<Consumer<Digest>> committedListeners = new CopyOnWriteArrayList<>();
    private final Cache<Digest, String> layerTypes =
            Caffeine.newBuilder().maximumSize(200_000).build();
    /**
     * Manifests (per repository) whose layers were noted and prefetch planned
     * within the last {@link #REPLAN_AFTER}: a warm tag is served thousands
     * of times a second, and parsing it twice per request for work already
     * done tripled the CPU of a manifest GET.
     */
    private final Cache<String, Boolean> recentlyServed;
    private final List<BiConsumer<Repository, List<Descriptor>>> pushListeners =
            new CopyOnWriteArrayList<>();
    private final List<ManifestObserver> observers = new CopyOnWriteArrayList<>();

    public Registry(List<Upstream> upstreams, List<HostedConfig> hosted, UpstreamRegistry upstream, Storage storage,
                    CacheConfig cache, PrefetchConfig prefetchConfig, Executor blocking, ScheduledExecutorService timers,
                    Clock clock, GantryMetrics metrics) {
        this.upstreams = List.copyOf(upstreams);
        this.recentlyServed = Caffeine.newBuilder().maximumSize(50_000).expireAfterWrite(REPLAN_AFTER)
                .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis())).build();
        this.storage = storage;
        this.metrics = metrics;
        this.resolver = new RepositoryResolver(upstreams, hosted);
        this.blocking = blocking;
        this.clock = clock;
        this.manifestStore = new ManifestStore(storage.meta(), blocking, cache.manifestMemory().bytes());
        CacheIndex index = new CacheIndex(manifestStore);
        manifestStore.listen(index);
        TagStore tagStore = new TagStore(storage.meta(), blocking, 50_000, index);
        this.links = new RepositoryLinks(storage.meta(), blocking, 100_000);
        this.tiers = new BlobTiers(storage.memory(), storage.disk(), storage.s3(), storage.health(), blocking);
        // Fill deadlines run in real time (like connection timeouts), whatever clock the registry reads.
        this.fills = new FillCoordinator(storage.disk(), blocking, timers, System::nanoTime);
        this.manifests = new PullThroughManifests(manifestStore, tagStore, links, upstream, clock,
                cache.tagTtl(), cache.notFoundTtl());
        this.blobs = new PullThroughBlobs(tiers, fills, upstream, links, cache.notFoundTtl(), clock, metrics);
        this.tags = new PullThroughTags(upstream, tagStore);
        ReferrerStore referrerStore = new ReferrerStore(storage.meta(), blocking);
        this.hostedBlobs = new HostedBlobs(tiers, fills, links);
        this.hostedManifests = new HostedManifests(manifestStore, tagStore, links, referrerStore, storage.meta(), hostedBlobs,
                blocking, clock);
        this.catalog = new HostedCatalog(storage.meta(), blocking);
        UploadCommit uploadCommit = new UploadCommit(links);
        // With a shared tier, sessions live in the bucket: each request of a push may reach another replica.
        UploadSessions sessions = storage.s3() == null
                ? new LocalUploads(storage.disk(), uploadCommit, blocking, clock, cache.uploadExpiry())
                : new SharedUploads(storage.s3().uploadSessions(), storage.disk(), uploadCommit, blocking, clock, cache.uploadExpiry());
        this.uploads = new Uploads(sessions, new Mounts(storage.disk(), links, resolver), uploadCommit);
        this.referrers = new Referrers(referrerStore, links, upstream, manifests, cache.tagTtl(), clock);
        uploads.onCommitted((repo, digest) -> {
            tiers.committed(digest, BlobTiers.Origin.UPSTREAM);
            committedListeners.forEach(l -> l.accept(digest));
        });
        Map<String, Upstream> byName = new LinkedHashMap<>();
        upstreams.forEach(u -> byName.put(u.name(), u));
        this.prefetch = new ManifestPrefetch(prefetchConfig, manifests, tiers, fills, upstream, byName::get, metrics, blocking, clock,
                storage.disk()::usableBytes);

        fills.onCommit((digest, origin) -> {
            tiers.committed(digest, origin);
            metrics.fillFinished(source(origin), true);
            prefetch.fillFinished();
        });
        fills.onFailure((digest, origin) -> {
            if (origin == BlobTiers.Origin.SHARED) {
                tiers.sharedCopyFailed(digest, new IllegalStateException("the S3 copy failed verification or broke off"));
            }
            metrics.fillFinished(source(origin), false);
            prefetch.fillFinished();
        });
        manifests.setListener(new ManifestListener() {
            @Override
            public void served(Repository repo, ManifestResult m) {
                // Manifests count as read for retention too: the sweep keeps what they name.
                tiers.touch(m.digest());
                if (recentlyServed.asMap().putIfAbsent(repo + "@" + m.digest(), Boolean.TRUE) == null) {
                    noteLayers(m);
                    prefetch.served(repo, m);
                }
            }

            @Override
            public void fetching(Repository repo) {
                prefetch.fetching(repo);
            }
        });
        hostedManifests.onPush((repo, digest, parsed) -> {
            for (Descriptor d : parsed.layers()) {
                layerTypes.put(d.parsedDigest(), d.mediaType());
            }
            pushListeners.forEach(l -> l.accept(repo, parsed.layers()));
        });
        storage.disk().onEviction(blob -> {
            metrics.eviction("disk", blob.size());
            prefetch.evicted(blob.digest());
        });
        try {
            links.loadHosted();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read which blobs hosted repositories hold", e);
        }
        try {
            Pins pins = new Pins(storage.meta(), clock, cache.pins().images(), resolver::resolve,
                    (ns, name) -> CacheWalk.resolveStored(resolver, ns, name));
            this.admin = new CacheAdmin(storage.meta(), manifestStore, tagStore, links, tiers, resolver, pins, index, blocking);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the pins made through the admin API", e);
        }
        // Pushed content may exist only on this disk: never evict it before a shared tier has it.
        // Pinned images stay whatever the disk's size (an operator asked for them).
        storage.disk().pin(d -> (links.heldByHostedRepository(d) && tiers.notYetShared(d)) || admin.pinned(d));
        // Listings wait for this load, never list part of the cache; requests for images need none of it.
        blocking.execute(() -> index.load(storage.meta(), admin::stored, tagStore));
        registerGauges();
    }

    private static String source(BlobTiers.Origin origin) {
        return origin == null ? "unknown" : origin.name().toLowerCase(Locale.ROOT);
    }

    private void registerGauges() {
        metrics.gauge("gantry_fills_in_flight", "Blob fills running now", () -> fills.inFlightCount());
        metrics.gauge("gantry_prefetch_queued", "Prefetch tasks waiting for capacity", () -> prefetch.scheduler().queued());
        metrics.gauge("gantry_prefetch_running", "Prefetch fills running now", () -> prefetch.scheduler().running());
        metrics.gauge("gantry_tier_bytes", "Bytes held per storage tier (S3: as of the last listing)", "tier", () -> {
            Map<String, Double> m = new LinkedHashMap<>();
            m.put("memory", (double) storage.memory().usedBytes());
            m.put("disk", (double) storage.disk().usedBytes());
            if (storage.s3() != null) {
                m.put("s3", (double) storage.s3().usedBytes());
            }
            return m;
        });
        metrics.gauge("gantry_upstream_ratelimit_remaining", "Pulls left as the upstream last reported (ratelimit-remaining; -1: never reported)",
                "upstream", () -> perUpstream(s -> (double) s.remaining()));
        metrics.gauge("gantry_upstream_ratelimit_limit", "Pull limit as the upstream last reported (ratelimit-limit; -1: never reported)",
                "upstream", () -> perUpstream(s -> (double) s.limit()));
        metrics.gauge("gantry_upstream_retry_after_seconds", "Time left before the upstream wants to hear from Gantry again",
                "upstream", () -> {
                    Map<String, Double> m = new LinkedHashMap<>();
                    upstreams.forEach(u -> m.put(u.name(), (double) u.rateLimit().retryAfter().toSeconds()));
                    return m;
                });
        if (storage.health() != null) {
            metrics.gauge("gantry_s3_errors", "S3 tier failures since start-up", () -> storage.health().failures());
            metrics.gauge("gantry_s3_pending_uploads", "Uploads to S3 waiting for a retry", () -> tiers.pendingUploads());
        }
    }

    private Map<String, Double> perUpstream(Function<RateLimitState.Snapshot, Double> f) {
        Map<String, Double> m = new LinkedHashMap<>();
        upstreams.forEach(u -> m.put(u.name(), f.apply(u.rateLimit().snapshot())));
        return m;
    }

    public RepositoryResolver resolver() {
        return resolver;
    }

    public ManifestService manifests() {
        return manifestService;
    }

    public BlobService blobs() {
        return blobService;
    }

    public TagService tags() {
        return tagService;
    }

    public UploadService uploads() {
        return uploads;
    }

    public ReferrerService referrers() {
        return referrers;
    }

    public CatalogService catalog() {
        return catalog;
    }

    /**
     * The local file of a blob the repository may read, fetching it through
     * the normal fill path (once, whoever else asks) when no local tier holds
     * it. For readers of whole blobs: the scanner, the hardware extension.
     */
    public CompletableFuture<Path> blobFile(Repository repo, Digest digest) {
        // Not through blobService: the scanner's and warm jobs' reads are no client's, so prefetch does
        // not count them as a prefetched blob put to use.
        CompletableFuture<BlobResult> found = repo.isHosted() ? hostedBlobs.get(repo, digest, false)
                : blobs.get(repo, digest, false);
        return found.thenCompose(result -> {
            if (storage.disk().statNow(digest).isPresent()) {
                return CompletableFuture.completedFuture(storage.disk().pathOf(digest));
            }
            BlobFill running = fills.inFlight(digest);
            CompletableFuture<Void> done = running != null ? running.done()
                    // Held in memory only, or the fill committed meanwhile: a full read through the result lands it on disk.
                    : result.open(0, result.size()).thenAccept(c -> c.close());
            return done.thenApply(v -> storage.disk().pathOf(digest));
        });
    }

    /** Told of every blob committed to this replica's disk (fills and uploads), for background scans. */
    public void onBlobCommitted(Consumer<Digest> listener) {
        fills.onCommit((digest, origin) -> listener.accept(digest));
        committedListeners.add(listener);
    }

    /**
     * Stores a manifest Gantry made itself (a hardware artifact) with its
     * blobs, linked to the repository, so the normal manifest and blob
     * endpoints serve it. Blobs are verified against their digests like any other.
     */
    public CompletableFuture<Void> storeArtifact(Repository repo, Digest manifestDigest, String mediaType, byte[] manifest,
                                                 Map<Digest, byte[]> blobs) {
        return CompletableFuture.runAsync(() -> {
            try {
                for (var e : blobs.entrySet()) {
                    if (storage.disk().statNow(e.getKey()).isEmpty()) {
                        var w = storage.disk().newWriter(e.getKey(), e.getValue().length);
                        w.write(ByteBuffer.wrap(e.getValue()));
                        w.commit();
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, blocking).thenCompose(v -> manifestStore.put(new ManifestStore.StoredManifest(manifestDigest, mediaType, manifest)))
                .thenCompose(v -> {
                    List<Digest> all = new ArrayList<>(blobs.keySet());
                    all.add(manifestDigest);
                    return links.link(repo, all);
                });
    }

    /** Adds referrers Gantry produces itself (the hardware extension's artifacts) to every listing. */
    public void contributeReferrers(ReferrerContributor contributor) {
        referrers.contribute(contributor::referrers);
    }

    /**
     * The media type of a layer some manifest served or pushed here names, or
     * null for blobs not known as layers (configs, artifacts).
     */
    public String layerMediaType(Digest digest) {
        return layerTypes.getIfPresent(digest);
    }

    private void noteLayers(ManifestResult m) {
        try {
            for (Descriptor d : Manifest.parse(m.body(), m.mediaType()).layers()) {
                layerTypes.put(d.parsedDigest(), d.mediaType());
            }
        } catch (RegistryException ignored) {
            // Not ours to judge here.
        }
    }

    /** The operator's view of the cache: listings, eviction, pins (the admin API). */
    public CacheAdmin admin() {
        return admin;
    }

    /** A manifest through the normal path, not counted as a client's pull (warming). */
    CompletableFuture<ManifestResult> fetchManifest(Repository repo, Reference reference, List<String> accepted) {
        return repo.isHosted() ? hostedManifests.get(repo, reference, accepted) : manifests.get(repo, reference, accepted);
    }

    /** Told of every manifest served or pushed, and of hosted deletes (the hardware catalog follows them). */
    public void observeManifests(ManifestObserver observer) {
        observers.add(observer);
    }

    private void seen(Repository repo, Reference reference, ManifestResult m) {
        for (ManifestObserver o : observers) {
            try {
                o.seen(repo, reference, m);
            } catch (RuntimeException e) {
                // An observer's trouble never fails the request that served or stored the manifest.
                log.debug("manifest observer failed on {}@{}: {}", repo, m.digest(), e.toString());
            }
        }
    }

    /** Told of every manifest pushed to a hosted repository (the scanner scans its new layers). */
    public void onPush(BiConsumer<Repository, List<Descriptor>> listener) {
        pushListeners.add(listener);
    }

    /** Discards upload sessions idle too long; call periodically. */
    public int expireUploads() {
        return uploads.expire();
    }

    private static RegistryException readOnly(Repository repo) {
        return new RegistryException(ErrorCode.UNSUPPORTED, repo.requestedName() + " is mirrored read-only from "
                + repo.namespace() + "; pushes and deletes go to hosted namespaces");
    }

    /** Manifests, by repository kind. */
    private final class Manifests implements ManifestService {
        @Override
        public CompletableFuture<ManifestResult> get(Repository repo, Reference reference, List<String> accepted) {
            return fetchManifest(repo, reference, accepted).whenComplete((m, e) -> {
                if (m != null) {
                    admin.notePull(repo, clock.instant());
                    seen(repo, reference, m);
                }
            });
        }

        @Override
        public CompletableFuture<PutResult> put(Repository repo, Reference reference, List<String> tags, String contentType,
                                                byte[] body) {
            if (!repo.isHosted()) {
                return CompletableFuture.failedFuture(readOnly(repo));
            }
            return hostedManifests.put(repo, reference, tags, contentType, body).whenComplete((r, e) -> {
                if (r != null && !observers.isEmpty()) {
                    // Parsed before, when the push was checked: this cannot fail now.
                    ManifestResult m = new ManifestResult(body, Manifest.parse(body, contentType).mediaType(), r.digest(),
                            CacheOutcome.HIT, null);
                    seen(repo, reference, m);
                    r.tags().forEach(t -> seen(repo, Reference.parse(t), m));
                }
            });
        }

        @Override
        public CompletableFuture<Void> delete(Repository repo, Reference reference) {
            if (!repo.isHosted()) {
                return CompletableFuture.failedFuture(readOnly(repo));
            }
            return hostedManifests.delete(repo, reference).whenComplete((v, e) -> {
                if (e == null) {
                    observers.forEach(o -> o.removed(repo, reference));
                }
            });
        }
    }

    /** Blobs, by repository kind. */
    private final class Blobs implements BlobService {
        @Override
        public CompletableFuture<BlobResult> get(Repository repo, Digest digest, boolean headOnly) {
            if (repo.isHosted()) {
                return hostedBlobs.get(repo, digest, headOnly);
            }
            prefetch.requested(digest); // a client asked: prefetch counts what it fetched that was then used
            return blobs.get(repo, digest, headOnly);
        }

        @Override
        public CompletableFuture<Void> delete(Repository repo, Digest digest) {
            return repo.isHosted() ? hostedBlobs.delete(repo, digest) : CompletableFuture.failedFuture(readOnly(repo));
        }
    }

    /** Tags lists, by repository kind; a hosted repository that never got a manifest is unknown. */
    private final class Tags implements TagService {
        @Override
        public CompletableFuture<TagList> list(Repository repo, Integer n, String last) {
            if (!repo.isHosted()) {
                return tags.list(repo, n, last);
            }
            return catalog.exists(repo).thenCompose(exists -> exists
                    ? hostedManifests.tags(repo, n, last)
                    : CompletableFuture.failedFuture(new RegistryException(ErrorCode.NAME_UNKNOWN,
                            "repository " + repo.name() + " is not known")));
        }
    }

    /** Fills running now. */
    public int fillsInFlight() {
        return fills.inFlightCount();
    }

    /** The most prefetch fills that ever ran at once. */
    public int prefetchMaxRunning() {
        return prefetch.scheduler().maxRunningSeen();
    }

    /** Retries writes to the shared tier that failed. Blocks; call periodically. */
    public void retryPending() {
        tiers.retryPending();
    }

    /** Uploads to the shared tier waiting for a retry. */
    public int pendingUploads() {
        return tiers.pendingUploads();
    }

    /** The operator's view: upstreams and their rate limits, tiers, fills, prefetch. */
    public Map<String, Object> status() {
        Map<String, Object> out = new LinkedHashMap<>();
        List<Map<String, Object>> ups = upstreams.stream().map(u -> {
            RateLimitState.Snapshot s = u.rateLimit().snapshot();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", u.name());
            m.put("url", u.base().toString());
            m.put("default", u.isDefault());
            m.put("authenticated", u.hasCredentials());
            Map<String, Object> rl = new LinkedHashMap<>();
            rl.put("limit", s.limit());
            rl.put("remaining", s.remaining());
            rl.put("windowSeconds", s.window() == null ? null : s.window().toSeconds());
            rl.put("backingOff", u.rateLimit().backingOff());
            rl.put("retryAfterSeconds", u.rateLimit().retryAfter().toSeconds());
            rl.put("updatedAt", s.updatedAt() == null ? null : s.updatedAt().toString());
            m.put("rateLimit", rl);
            m.put("fillsInFlight", fills.inFlight(u.name()));
            return m;
        }).toList();
        out.put("upstreams", ups);
        Map<String, Object> tierStatus = new LinkedHashMap<>();
        tierStatus.put("memory", tier(storage.memory().usedBytes(), storage.memory().maxBlobBytes() > 0 ? maxMemory() : 0, "memory"));
        tierStatus.put("disk", tier(storage.disk().usedBytes(), storage.disk().maxBytes(), "disk"));
        if (storage.s3() != null) {
            Map<String, Object> s3 = tier(storage.s3().usedBytes(), -1, "s3");
            s3.put("healthy", storage.health().available());
            s3.put("failures", storage.health().failures());
            s3.put("pendingUploads", tiers.pendingUploads());
            tierStatus.put("s3", s3);
        }
        out.put("tiers", tierStatus);
        out.put("fillsInFlight", fills.inFlightCount());
        out.put("prefetch", prefetch.status());
        return out;
    }

    private long maxMemory() {
        return storage.memory().maxBytes();
    }

    /**
     * A tier's use and how well it answers. Every blob read asks the memory tier
     * first, then disk, then S3, so {@code hitRatio} is the share of all blob
     * reads answered by this tier or a faster one (the disk tier holds every
     * blob the memory tier does), and {@code servedRatio} the share this tier
     * answered itself; both null before the first read.
     */
    private Map<String, Object> tier(long used, long max, String name) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("usedBytes", used);
        m.put("maxBytes", max);
        double reads = metrics.value("gantry_tier_reads_total", "memory", "hit")
                + metrics.value("gantry_tier_reads_total", "memory", "miss");
        double answeredUpTo = 0;
        for (String t : List.of("memory", "disk", "s3")) {
            answeredUpTo += metrics.value("gantry_tier_reads_total", t, "hit");
            if (t.equals(name)) {
                break;
            }
        }
        double served = metrics.value("gantry_tier_reads_total", name, "hit");
        m.put("hitRatio", reads == 0 ? null : answeredUpTo / reads);
        m.put("servedRatio", reads == 0 ? null : served / reads);
        return m;
    }
}
