package dev.gantry.registry;

import dev.gantry.config.CacheConfig;
import dev.gantry.storage.DiskBlobStore;
import dev.gantry.storage.MemoryBlobStore;
import dev.gantry.storage.MetadataStore;
import dev.gantry.storage.RemoteHealth;
import dev.gantry.storage.S3BlobStore;
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

    /**
     * The storage the registry works on.
     *
     * @param s3 the shared tier, or null when none is configured (then {@code health} is null)
     * @param meta metadata: the disk store, or disk in front of S3
     */
    public record Storage(MemoryBlobStore memory, DiskBlobStore disk, S3BlobStore s3, RemoteHealth health, MetadataStore meta) {
    }

    private final RepositoryResolver resolver;
    private final PullThroughManifests manifests;
    private final PullThroughBlobs blobs;
    private final PullThroughTags tags;
    private final FillCoordinator fills;
    private final BlobTiers tiers;

    public PullThroughRegistry(List<Upstream> upstreams, UpstreamRegistry upstream, Storage storage,
                               CacheConfig cache, Executor blocking, Clock clock) {
        this.resolver = new RepositoryResolver(upstreams);
        ManifestStore manifestStore = new ManifestStore(storage.meta(), blocking, cache.manifestMemory().bytes());
        TagStore tagStore = new TagStore(storage.meta(), blocking, 50_000);
        RepositoryLinks links = new RepositoryLinks(storage.meta(), blocking, 100_000);
        this.tiers = new BlobTiers(storage.memory(), storage.disk(), storage.s3(), storage.health(), blocking);
        this.fills = new FillCoordinator(storage.disk(), blocking);
        fills.onCommit(tiers::committed);
        fills.onFailure((digest, origin) -> {
            if (origin == BlobTiers.Origin.SHARED) {
                tiers.sharedCopyFailed(digest, new IllegalStateException("the S3 copy failed verification or broke off"));
            }
        });
        this.manifests = new PullThroughManifests(manifestStore, tagStore, links, upstream, clock,
                cache.tagTtl(), cache.notFoundTtl());
        // Manifests count as read for retention too: the sweep keeps what they name.
        manifests.setListener((repo, m) -> tiers.touch(m.digest()));
        this.blobs = new PullThroughBlobs(tiers, fills, upstream, links, cache.notFoundTtl(), clock);
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

    /** Retries writes to the shared tier that failed. Blocks; call periodically. */
    public void retryPending() {
        tiers.retryPending();
    }

    /** Uploads to the shared tier waiting for a retry. */
    public int pendingUploads() {
        return tiers.pendingUploads();
    }
}
