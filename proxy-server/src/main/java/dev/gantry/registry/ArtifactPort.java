package dev.gantry.registry;

import dev.gantry.oci.Digest;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The hardware extension's narrow way to storage: read a whole blob as a
 * local file, store an artifact Gantry made. Whatever tiers hold the bytes
 * stay behind this port.
 */
public interface ArtifactPort {

    /**
     * The local file of a blob the repository may read, fetching it through
     * the normal fill path (once, whoever else asks) when no local tier holds it.
     */
    CompletableFuture<Path> blobFile(Repository repo, Digest digest);

    /**
     * Stores a manifest Gantry made itself (a hardware artifact) with its
     * blobs, linked to the repository, so the normal manifest and blob
     * endpoints serve it. Blobs are verified against their digests like any other.
     */
    CompletableFuture<Void> storeArtifact(Repository repo, Digest manifestDigest, String mediaType, byte[] manifest,
                                          Map<Digest, byte[]> blobs);
}
