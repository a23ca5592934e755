package dev.gantry.registry;

import dev.gantry.oci.Descriptor;
import dev.gantry.oci.Digest;
import dev.gantry.oci.ErrorCode;
import dev.gantry.oci.Manifest;
import dev.gantry.oci.MediaTypes;
import dev.gantry.oci.RegistryException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * What a pushed manifest must find in its repository before it is stored:
 * every blob and child manifest it references, each of exactly the size its
 * descriptor names. A missing one is {@code MANIFEST_BLOB_UNKNOWN}; a size
 * that disagrees with what is stored is {@code MANIFEST_INVALID} (a client
 * that trusted the descriptor would read a different number of bytes than it
 * verifies). Docker schema 1 descriptors carry no sizes and are checked for
 * presence only.
 */
public final class PushedReferences {

    private final HostedBlobs blobs;
    private final ManifestStore manifests;
    private final RepositoryLinks links;

    public PushedReferences(HostedBlobs blobs, ManifestStore manifests, RepositoryLinks links) {
        this.blobs = blobs;
        this.manifests = manifests;
        this.links = links;
    }

    /** Completes normally when everything {@code manifest} references is present with its size; else fails. */
    CompletableFuture<Void> check(Repository repo, Manifest manifest) {
        boolean sized = !manifest.mediaType().startsWith(MediaTypes.DOCKER_SCHEMA1);
        CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
        for (Descriptor d : manifest.blobs()) {
            chain = chain.thenCompose(v -> blob(repo, d, sized));
        }
        for (Descriptor d : manifest.manifests()) {
            chain = chain.thenCompose(v -> child(repo, d));
        }
        return chain;
    }

    private CompletableFuture<Void> blob(Repository repo, Descriptor d, boolean sized) {
        Digest digest = d.parsedDigest();
        return blobs.get(repo, digest, true)
                .exceptionallyCompose(e -> CompletableFuture.failedFuture(isUnknown(e) ? missing(repo, digest) : e))
                .thenAccept(stored -> {
                    if (sized && stored.size() != d.size()) {
                        throw wrongSize("blob", digest, d.size(), stored.size());
                    }
                });
    }

    private CompletableFuture<Void> child(Repository repo, Descriptor d) {
        Digest digest = d.parsedDigest();
        return links.isLinked(repo, digest)
                .thenCompose(linked -> linked ? manifests.get(digest) : CompletableFuture.completedFuture(Optional.<ManifestStore.StoredManifest>empty()))
                .thenAccept(stored -> {
                    if (stored.isEmpty()) {
                        throw missing(repo, digest);
                    }
                    if (stored.get().body().length != d.size()) {
                        throw wrongSize("manifest", digest, d.size(), stored.get().body().length);
                    }
                });
    }

    private static boolean isUnknown(Throwable e) {
        return UpstreamErrors.unwrap(e) instanceof RegistryException r && r.code() == ErrorCode.BLOB_UNKNOWN;
    }

    private static RegistryException missing(Repository repo, Digest digest) {
        return new RegistryException(ErrorCode.MANIFEST_BLOB_UNKNOWN,
                "manifest references " + digest + ", which is not in " + repo.name() + ": push it first");
    }

    private static RegistryException wrongSize(String what, Digest digest, long declared, long stored) {
        return new RegistryException(ErrorCode.MANIFEST_INVALID, "descriptor of " + what + " " + digest + " says size "
                + declared + " but the stored " + what + " is " + stored + " bytes");
    }
}
