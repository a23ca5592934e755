package dev.gantry.registry;

import dev.gantry.oci.Digest;
import dev.gantry.oci.Reference;
import dev.gantry.storage.DiskBlobStore;
import dev.gantry.storage.MemoryBlobStore;
import dev.gantry.storage.MetadataStore;
import dev.gantry.storage.RemoteHealth;
import dev.gantry.storage.S3BlobStore;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The registry as the HTTP layer and the background jobs see it: repository
 * resolution, the services, and the few operations on the parts behind them
 * (fills in flight, retries to the shared tier, upload expiry). A facade
 * only: the application builds every part and hands them in; nothing here
 * constructs or wires.
 */
public final class Registry {

    /**
     * The storage the registry works on.
     *
     * @param s3 the shared tier, or null when none is configured (then {@code health} is null)
     * @param meta metadata: the disk store, or disk in front of S3
     */
    /**
     * @param meta the metadata store the registry reads and writes (tiered over the bucket where there is one)
     * @param sharedMeta the bucket's own metadata store, or null without one: what every replica sees now
     */
    public record Storage(MemoryBlobStore memory, DiskBlobStore disk, S3BlobStore s3, RemoteHealth health, MetadataStore meta,
                          MetadataStore sharedMeta) {
    }

    /** The registry's parts, built by the application. */
    public record Parts(RepositoryResolver resolver, RoutedManifests manifests, BlobService blobs, TagService tags,
                        Uploads uploads, Referrers referrers, CatalogService catalog, CacheAdmin admin,
                        ArtifactPort artifacts, FillCoordinator fills, BucketWrites writes, ManifestPrefetch prefetch,
                        LayerTypes layerTypes) {
    }

    private final Parts parts;

    public Registry(Parts parts) {
        this.parts = parts;
    }

    /**
     * A replica of the fleet asks this one, the owner, for a blob it knows to
     * be a layer of {@code mediaType}: noted, so that the fill scans it.
     */
    public void layerNamedByPeer(Digest digest, String mediaType) {
        parts.layerTypes().noteFromPeer(digest, mediaType);
    }

    public RepositoryResolver resolver() {
        return parts.resolver();
    }

    /**
     * Whether a repository is linked to a manifest now, from this replica's own records (no upstream asked).
     * Blocks on the metadata store: the search runs it, off the event loop, per platform of an index it lists.
     */
    public boolean linkedNow(Repository repo, Digest digest) {
        return parts.manifests().linkedNow(repo, digest);
    }

    public ManifestService manifests() {
        return parts.manifests();
    }

    public BlobService blobs() {
        return parts.blobs();
    }

    public TagService tags() {
        return parts.tags();
    }

    public UploadService uploads() {
        return parts.uploads();
    }

    public ReferrerService referrers() {
        return parts.referrers();
    }

    public CatalogService catalog() {
        return parts.catalog();
    }

    /** The operator's view of the cache: listings, eviction, pins (the admin API). */
    public CacheAdmin admin() {
        return parts.admin();
    }

    /** Whole blobs as local files, and artifacts Gantry stores (the hardware extension's port). */
    public ArtifactPort artifacts() {
        return parts.artifacts();
    }

    /** {@link ArtifactPort#blobFile}: for readers of whole blobs (the scanner, warm jobs). */
    public CompletableFuture<Path> blobFile(Repository repo, Digest digest) {
        return parts.artifacts().blobFile(repo, digest);
    }

    /** Adds referrers Gantry produces itself (the hardware extension's artifacts) to every listing. */
    public void contributeReferrers(ReferrerContributor contributor) {
        parts.referrers().contribute(contributor::referrers);
    }

    /**
     * Told of every manifest served or pushed, of hosted deletes and of the cache's evictions (the hardware
     * catalog follows them).
     */
    public void observeManifests(ManifestObserver observer) {
        parts.manifests().observe(observer);
        parts.admin().observeEvictions(observer);
    }

    /** A manifest through the normal path, not counted as a client's pull (warming). */
    CompletableFuture<ManifestResult> fetchManifest(Repository repo, Reference reference, List<String> accepted) {
        return parts.manifests().fetch(repo, reference, accepted);
    }

    /** Discards upload sessions idle too long; call periodically. */
    public int expireUploads() {
        return parts.uploads().expire();
    }

    /** Fills running now. */
    public int fillsInFlight() {
        return parts.fills().inFlightCount();
    }

    /** The most prefetch fills that ever ran at once. */
    public int prefetchMaxRunning() {
        return parts.prefetch().scheduler().maxRunningSeen();
    }

    /** Retries writes to the shared tier that failed. Blocks; call periodically. */
    public void retryPending() {
        parts.writes().retryPending();
    }

    /** Uploads to the shared tier waiting for a retry. */
    public int pendingUploads() {
        return parts.writes().pending();
    }
}
