package dev.gantry.registry;

import dev.gantry.config.CacheConfig;
import dev.gantry.storage.DiskBlobStore;
import dev.gantry.storage.MetadataStore;
import dev.gantry.upstream.Upstream;
import dev.gantry.upstream.UpstreamRegistry;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * The registry as the HTTP layer sees it: repository resolution plus the
 * manifest, blob and tag services, all pull-through. Built once by the
 * application; owns the fills in flight.
 */
public final class PullThroughRegistry {

    private final RepositoryResolver resolver;
    private final PullThroughManifests manifests;
    private final PullThroughBlobs blobs;
    private final PullThroughTags tags;
    private final FillCoordinator fills;

    public PullThroughRegistry(List<Upstream> upstreams, UpstreamRegistry upstream, DiskBlobStore disk,
                               MetadataStore meta, CacheConfig cache, Executor blocking, Clock clock) {
        this.resolver = new RepositoryResolver(upstreams);
        ManifestStore manifestStore = new ManifestStore(meta, blocking, cache.manifestMemory().bytes());
        TagStore tagStore = new TagStore(meta, blocking, 100_000);
        RepositoryLinks links = new RepositoryLinks(meta, blocking, 500_000);
        this.fills = new FillCoordinator(disk, blocking);
        this.manifests = new PullThroughManifests(manifestStore, tagStore, links, upstream, clock,
                cache.tagTtl(), cache.notFoundTtl());
        this.blobs = new PullThroughBlobs(disk, fills, upstream, links, cache.notFoundTtl(), clock);
        this.tags = new PullThroughTags(upstream, tagStore);
    }

    public RepositoryResolver resolver() {
        return resolver;
    }

    public ManifestService manifests() {
        return manifests;
    }

    public BlobService blobs() {
        return blobs;
    }

    public TagService tags() {
        return tags;
    }

    /** Fills running now. */
    public int fillsInFlight() {
        return fills.inFlightCount();
    }
}
