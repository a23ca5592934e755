package dev.gantry.app;

import dev.gantry.auth.PeerTokens;
import dev.gantry.config.CacheConfig;
import dev.gantry.config.HostedConfig;
import dev.gantry.config.PrefetchConfig;
import dev.gantry.fleet.HotSet;
import dev.gantry.fleet.Fleet;
import dev.gantry.fleet.Member;
import dev.gantry.metrics.GantryMetrics;
import dev.gantry.prefetch.DiskReserve;
import dev.gantry.prefetch.PrefetchScheduler;
import dev.gantry.registry.BlobEventHub;
import dev.gantry.registry.BlobTiers;
import dev.gantry.registry.BucketWrites;
import dev.gantry.registry.CacheAdmin;
import dev.gantry.registry.CacheEviction;
import dev.gantry.registry.CacheIndex;
import dev.gantry.registry.CacheListing;
import dev.gantry.registry.CacheWalk;
import dev.gantry.registry.FillCoordinator;
import dev.gantry.registry.HostedBlobs;
import dev.gantry.registry.HostedCatalog;
import dev.gantry.registry.HostedManifests;
import dev.gantry.registry.HostedSeed;
import dev.gantry.registry.LayerTypes;
import dev.gantry.registry.LocalArtifacts;
import dev.gantry.registry.LocalUploads;
import dev.gantry.registry.ManifestPrefetch;
import dev.gantry.registry.ManifestStore;
import dev.gantry.registry.Mounts;
import dev.gantry.registry.Pins;
import dev.gantry.registry.PrefetchFills;
import dev.gantry.registry.PullThroughBlobs;
import dev.gantry.registry.PullThroughManifests;
import dev.gantry.registry.PullThroughTags;
import dev.gantry.registry.PushedReferences;
import dev.gantry.registry.ReferrerStore;
import dev.gantry.registry.Referrers;
import dev.gantry.registry.Registry;
import dev.gantry.registry.RegistryStatus;
import dev.gantry.registry.Repository;
import dev.gantry.registry.RepositoryLinks;
import dev.gantry.registry.RepositoryResolver;
import dev.gantry.registry.RoutedBlobs;
import dev.gantry.registry.RoutedManifests;
import dev.gantry.registry.RoutedTags;
import dev.gantry.registry.SharedUploads;
import dev.gantry.registry.TagStore;
import dev.gantry.registry.TierUpkeep;
import dev.gantry.registry.UploadCommit;
import dev.gantry.registry.UploadSessions;
import dev.gantry.registry.Uploads;
import dev.gantry.registry.UpstreamBudget;
import dev.gantry.upstream.HttpTransport;
import dev.gantry.upstream.PeerFetch;
import dev.gantry.upstream.Upstream;
import dev.gantry.upstream.UpstreamRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.BiFunction;
import org.slf4j.LoggerFactory;

/**
 * Builds the registry's parts on the opened storage and wires them: each
 * part gets its collaborators in its constructor, and what reacts to a
 * blob's life (tiers, metrics, layer types, prefetch; the scanner, added by
 * {@link Gantry}) listens on the one {@link BlobEventHub}.
 */
final class RegistryAssembly {

    /** What the rest of the application needs from the registry. */
    record Built(Registry registry, BlobEventHub events, LayerTypes layerTypes, RegistryStatus status, BucketWrites writes) {
    }

    private RegistryAssembly() {
    }

    /**
     * The upstream calls the registry makes: with replicas on one bucket and a shared key, blob and
     * manifest GETs go first to the fleet member that owns them ({@link PeerFetch}); else (a fleet
     * of one, whatever members configuration lists, or no shared secret) as given.
     */
    static UpstreamRegistry fleetWide(UpstreamRegistry upstream, boolean sharedBucket, Fleet fleet, PeerTokens peers,
                                      HttpTransport transport, boolean tls) {
        if (sharedBucket && peers == null) {
            LoggerFactory.getLogger(RegistryAssembly.class).info("fleet: no auth.tokenKeys, so no shared secret for the peer channel:"
                    + " each replica fetches from the upstreams on its own");
        }
        if (!sharedBucket || peers == null) {
            return upstream;
        }
        PeerFetch.Directory directory = new PeerFetch.Directory() {
            @Override
            public String ownerOf(String key) {
                Member owner = fleet.ownership().owner(key);
                return owner == null ? null : owner.address();
            }

            @Override
            public void unreachable(String owner) {
                fleet.ownership().unreachable(owner);
            }

            @Override
            public String authorization(String method, String target) {
                return peers.authorization(method, target);
            }
        };
        return upstream.askingPeers(new PeerFetch(transport, directory, tls ? "https" : "http"));
    }


    /** @param hot where client blob GETs are counted for the fleet's hot set, or null (no shared bucket) */
    static Built build(List<Upstream> upstreams, List<HostedConfig> hosted, UpstreamRegistry upstream,
                       Registry.Storage storage, CacheConfig cache, PrefetchConfig prefetchConfig, Executor blocking,
                       ScheduledExecutorService timers, Clock clock, GantryMetrics metrics, HotSet hot) {
        CacheConfig.Entries sizes = cache.entries();
        BlobEventHub events = new BlobEventHub(clock, sizes.servedManifests());
        RepositoryResolver resolver = new RepositoryResolver(upstreams, hosted);
        ManifestStore manifestStore = new ManifestStore(storage.meta(), blocking, cache.manifestMemory().bytes());
        CacheIndex index = new CacheIndex(manifestStore);
        manifestStore.listen(index);
        TagStore tagStore = new TagStore(storage.meta(), blocking, sizes.tags(), index);
        RepositoryLinks links = new RepositoryLinks(storage.meta(), blocking, sizes.repositoryLinks());
        BucketWrites bucketWrites = new BucketWrites(storage.s3(), storage.disk(), storage.health());
        BlobTiers tiers = new BlobTiers(storage.memory(), storage.disk(), storage.s3(), storage.health(), bucketWrites,
                blocking, clock, sizes.promotions());
        // Fill deadlines run in real time (like connection timeouts), whatever clock the registry reads.
        FillCoordinator fills = new FillCoordinator(storage.disk(), blocking, timers, System::nanoTime, events);
        PullThroughManifests manifests = new PullThroughManifests(manifestStore, tagStore, links, upstream, clock,
                cache.tagTtl(), cache.notFoundTtl(), sizes, events);
        LayerTypes layerTypes = new LayerTypes(sizes.layerTypes());
        PullThroughBlobs blobs = new PullThroughBlobs(tiers, fills, upstream, links, layerTypes, cache.notFoundTtl(), sizes.notFound(),
                clock, metrics);
        ReferrerStore referrerStore = new ReferrerStore(storage.meta(), blocking);
        HostedBlobs hostedBlobs = new HostedBlobs(tiers, fills, links, manifestStore);
        HostedManifests hostedManifests = new HostedManifests(manifestStore, tagStore, links, referrerStore, storage.meta(),
                new PushedReferences(hostedBlobs, manifestStore, links), blocking, clock, events);
        HostedCatalog catalog = new HostedCatalog(storage.meta(), blocking);
        UploadCommit uploadCommit = new UploadCommit(links, bucketWrites);
        // With a shared tier, sessions live in the bucket: each request of a push may reach another replica.
        UploadSessions sessions = storage.s3() == null
                ? new LocalUploads(storage.disk(), uploadCommit, blocking, clock, cache.uploadExpiry())
                : new SharedUploads(storage.s3().uploadSessions(), storage.disk(), uploadCommit, blocking, clock,
                        cache.uploadExpiry());
        Uploads uploads = new Uploads(sessions, new Mounts(storage.disk(), links, resolver, uploadCommit), uploadCommit);
        uploads.onCommitted(events::uploadCommitted);
        Referrers referrers = new Referrers(referrerStore, links, upstream, manifests, cache.tagTtl(), sizes.referrers(),
                clock);
        Map<String, Upstream> byName = new LinkedHashMap<>();
        upstreams.forEach(u -> byName.put(u.name(), u));
        PrefetchFills prefetchFills = new PrefetchFills(tiers, fills, upstream, layerTypes, metrics, blocking,
                new DiskReserve(prefetchConfig.diskReserve().bytes(), storage.disk()::usableBytes), clock,
                sizes.prefetched());
        UpstreamBudget budget = new UpstreamBudget(byName::get, prefetchConfig.minRateLimitRemaining());
        PrefetchScheduler prefetchScheduler = new PrefetchScheduler(prefetchConfig.maxConcurrent(),
                prefetchConfig.maxConcurrentPerUpstream(), 4096, fills::inFlight, budget,
                reason -> metrics.prefetch("skipped_" + reason));
        ManifestPrefetch prefetch = new ManifestPrefetch(prefetchConfig, manifests, prefetchFills, prefetchScheduler,
                upstream, metrics, blocking, clock);
        events.listen(new TierUpkeep(tiers));
        events.listen(new EventMetrics(metrics));
        events.listen(layerTypes);
        events.listen(prefetch);
        storage.disk().onEviction(blob -> events.evicted(blob.digest(), blob.size()));
        try {
            links.loadHosted();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read which blobs hosted repositories hold", e);
        }
        BiFunction<String, String, Repository> stored = (ns, name) -> CacheWalk.resolveStored(resolver, ns, name);
        CacheAdmin admin;
        try {
            Pins pins = new Pins(storage.meta(), clock, cache.pins().images(), resolver::resolve, stored);
            admin = new CacheAdmin(storage.meta(), manifestStore, tagStore, tiers, resolver, pins, index,
                    new CacheEviction(manifestStore, tagStore, links, tiers, pins, index, storage.sharedMeta()), new CacheListing(tiers, pins, index),
                    blocking, sizes.lastPulls());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the pins made through the admin API", e);
        }
        CacheAdmin pinned = admin;
        try {
            // Known before the disk's pin predicate is: an eviction at start (a warm-up copying hot blobs onto a full
            // disk) would otherwise run with no pinned digest known, and take the oldest blobs, which pins are.
            admin.refreshPinned();
        } catch (IOException | RuntimeException e) {
            LoggerFactory.getLogger(RegistryAssembly.class).warn("cannot read which blobs pinned images hold yet; "
                    + "the pin refresh tries again: {}", e.toString());
        }
        // Pushed content may exist only on this disk: never evict it before a shared tier has it.
        // Pinned images stay whatever the disk's size (an operator asked for them).
        storage.disk().pin(d -> (links.heldByHostedRepository(d) && bucketWrites.notYetShared(d)) || pinned.pinned(d));
        // Listings wait for this load, never list part of the cache; requests for images need none of it.
        blocking.execute(() -> index.load(storage.meta(), stored, tagStore));
        RegistryStatus status = new RegistryStatus(upstreams, storage, bucketWrites, fills, prefetch, metrics);
        status.registerGauges();
        Registry registry = new Registry(new Registry.Parts(resolver,
                new RoutedManifests(manifests, hostedManifests, admin, clock),
                hot == null ? new RoutedBlobs(blobs, hostedBlobs, prefetch)
                        : new CountingBlobs(new RoutedBlobs(blobs, hostedBlobs, prefetch), hot),
                new RoutedTags(new PullThroughTags(upstream, tagStore), hostedManifests, catalog),
                uploads, referrers, catalog, admin,
                new LocalArtifacts(blobs, hostedBlobs, tiers, fills, manifestStore, links, blocking),
                fills, bucketWrites, prefetch, layerTypes));
        return new Built(registry, events, layerTypes, status, bucketWrites);
    }

    /**
     * With a bucket, the copy into it of hosted content this disk alone holds
     * (pushed before the bucket was configured): planned here, so that this
     * replica reads what it still owes the bucket locally from its first
     * request, then run on a thread of its own, one object at a time; null
     * without a bucket. Readiness does not wait for it (see {@link HostedSeed}).
     */
    static HostedSeed hostedSeed(StorageFactory.Opened storage, Built built) throws IOException {
        if (!storage.shared()) {
            return null;
        }
        HostedSeed seed = new HostedSeed(storage.localMeta(), storage.sharedMeta(), storage.seeding(), built.writes(),
                storage.disk(), storage.s3());
        if (seed.plan()) {
            ExecutorService thread = Executors.newSingleThreadExecutor(new io.netty.util.concurrent.DefaultThreadFactory("gantry-seed", true));
            seed.start(thread);
            // The thread ends with its one task.
            thread.shutdown();
        }
        return seed;
    }
}
