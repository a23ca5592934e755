package dev.gantry.hardware;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.gantry.oci.Descriptor;
import dev.gantry.oci.Digest;
import dev.gantry.oci.MediaTypes;
import dev.gantry.registry.ArtifactPort;
import dev.gantry.registry.Repository;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The artifacts Gantry makes for scanned platform manifests (the hardware
 * document, the NFD labels), stored through the {@link ArtifactPort} and
 * linked to each repository that lists them, once per repository and subject.
 */
final class StoredArtifacts {

    private final ArtifactPort port;

    /** Artifacts built but not yet stored, by platform manifest. */
    private final Map<Digest, List<Artifacts.Built>> pending = new ConcurrentHashMap<>();

    /** Repositories whose artifacts for a subject are stored and linked already: {@code repo@digest}. */
    private final Cache<String, Boolean> ensured;

    /** @param links how many repository and subject pairs are remembered as stored and linked at most */
    StoredArtifacts(ArtifactPort port, long links) {
        this.port = port;
        this.ensured = Caffeine.newBuilder().maximumSize(links).build();
    }

    /** Artifacts just built for {@code manifest}: the first {@link #ensure} stores these bytes. */
    void built(Digest manifest, List<Artifacts.Built> built) {
        pending.put(manifest, built);
    }

    /** Stores (and links to this repository) the artifacts of a record, rebuilding their bytes from it. */
    CompletableFuture<Void> ensure(Repository repo, HardwareRecord r) {
        Descriptor subject = new Descriptor(r.document().subject().mediaType(), r.document().subject().digest(),
                r.document().subject().size(), null, null, null);
        String key = repo + "@" + subject.digest();
        if (ensured.getIfPresent(key) != null) {
            return CompletableFuture.completedFuture(null);
        }
        List<Artifacts.Built> built = pending.remove(subject.parsedDigest());
        if (built == null) {
            String created = r.hardwareArtifact().annotations().get("org.opencontainers.image.created");
            built = List.of(Artifacts.hardware(r.document(), subject, created), Artifacts.nfd(r.document(), subject, created));
        }
        return store(repo, key, built);
    }

    /** Stores artifacts linked to {@code repo}, once per {@code key} (a repository and what they describe). */
    CompletableFuture<Void> store(Repository repo, String key, List<Artifacts.Built> built) {
        if (ensured.getIfPresent(key) != null) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
        for (Artifacts.Built b : built) {
            chain = chain.thenCompose(v -> port.storeArtifact(repo, b.digest(), MediaTypes.OCI_MANIFEST, b.manifest(), b.blobs()));
        }
        return chain.thenRun(() -> ensured.put(key, Boolean.TRUE));
    }

    /** The descriptor that lists an artifact among referrers. */
    static Descriptor descriptor(HardwareRecord.Artifact a) {
        return new Descriptor(a.mediaType(), a.digest(), a.size(), null, a.artifactType(), a.annotations());
    }
}
