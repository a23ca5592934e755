package dev.gantry.registry;

import dev.gantry.oci.Digest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/** The {@link ArtifactPort} on this replica's tiers, fills and repository links. */
public final class LocalArtifacts implements ArtifactPort {

    private final PullThroughBlobs proxied;
    private final HostedBlobs hosted;
    private final BlobTiers tiers;
    private final FillCoordinator fills;
    private final ManifestStore manifests;
    private final RepositoryLinks links;
    private final Executor blocking;

    public LocalArtifacts(PullThroughBlobs proxied, HostedBlobs hosted, BlobTiers tiers, FillCoordinator fills,
                          ManifestStore manifests, RepositoryLinks links, Executor blocking) {
        this.proxied = proxied;
        this.hosted = hosted;
        this.tiers = tiers;
        this.fills = fills;
        this.manifests = manifests;
        this.links = links;
        this.blocking = blocking;
    }

    @Override
    public CompletableFuture<Path> blobFile(Repository repo, Digest digest) {
        // Not through the blob service: the scanner's and warm jobs' reads are no client's, so prefetch does
        // not count them as a prefetched blob put to use.
        CompletableFuture<BlobResult> found = repo.isHosted() ? hosted.get(repo, digest, false)
                : proxied.get(repo, digest, false);
        return found.thenCompose(result -> {
            Path local = tiers.localFile(digest);
            if (local != null) {
                return CompletableFuture.completedFuture(local);
            }
            BlobFill running = fills.inFlight(digest);
            CompletableFuture<Void> done = running != null ? running.done()
                    // Held in memory only, or the fill committed meanwhile: a full read through the result lands it on disk.
                    : result.open(0, result.size()).thenAccept(c -> c.close());
            return done.thenApply(v -> tiers.diskPath(digest));
        });
    }

    @Override
    public CompletableFuture<Void> storeArtifact(Repository repo, Digest manifestDigest, String mediaType, byte[] manifest,
                                                 Map<Digest, byte[]> blobs) {
        return BlockingIo.run(blocking, () -> {
            for (var e : blobs.entrySet()) {
                tiers.storeLocal(e.getKey(), e.getValue());
            }
        }).thenCompose(v -> manifests.put(new ManifestStore.StoredManifest(manifestDigest, mediaType, manifest)))
                .thenCompose(v -> {
                    List<Digest> all = new ArrayList<>(blobs.keySet());
                    all.add(manifestDigest);
                    return links.link(repo, all);
                });
    }
}
