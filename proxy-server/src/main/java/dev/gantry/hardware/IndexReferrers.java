package dev.gantry.hardware;

import dev.gantry.oci.Descriptor;
import dev.gantry.oci.Digest;
import dev.gantry.oci.Manifest;
import dev.gantry.oci.MediaTypes;
import dev.gantry.oci.Reference;
import dev.gantry.registry.ManifestService;
import dev.gantry.registry.Repository;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Referrers of an index. A referrer's {@code subject} must be the digest it
 * is listed under, so the artifacts of a platform manifest cannot simply be
 * listed for its index: for each platform of the index that Gantry has
 * scanned, the same two artifacts (hardware document, NFD compatibility) are
 * made again with the index as their subject and the platform in their
 * annotations, so {@code oras discover <image>} finds them on the reference
 * users pull. Made from the stored record, so their bytes (and digests) are
 * the same every time; stored and linked to the repository on first listing.
 */
final class IndexReferrers {

    private final ManifestService manifests;
    private final HardwareService hardware;

    IndexReferrers(ManifestService manifests, HardwareService hardware) {
        this.manifests = manifests;
        this.hardware = hardware;
    }

    /** The platform artifacts of {@code subject} if it is an index the repository holds; empty otherwise. Never scans. */
    CompletableFuture<List<Descriptor>> referrers(Repository repo, Digest subject) {
        return manifests.get(repo, Reference.of(subject), List.of()).thenCompose(m -> {
            if (!MediaTypes.isIndex(m.mediaType())) {
                return CompletableFuture.completedFuture(List.<Descriptor>of());
            }
            Descriptor index = new Descriptor(m.mediaType(), m.digest(), m.body().length);
            List<CompletableFuture<List<Descriptor>>> all = new ArrayList<>();
            for (Descriptor d : Manifest.parse(m.body(), m.mediaType()).manifests()) {
                if (d.platform() != null && MediaTypes.isImageManifest(d.mediaType())) {
                    all.add(forPlatform(repo, index, d));
                }
            }
            return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).thenApply(v -> {
                List<Descriptor> out = new ArrayList<>();
                all.forEach(f -> out.addAll(f.join()));
                return out;
            });
        });
    }

    private CompletableFuture<List<Descriptor>> forPlatform(Repository repo, Descriptor index, Descriptor platform) {
        // The index naming a platform is no proof the repository holds it (an upstream may accept an index whose
        // children it lacks): its document, made from that manifest, is listed only where the repository holds it.
        return manifests.holds(repo, platform.parsedDigest()).thenCompose(holds -> holds
                ? hardware.currentRecord(platform.parsedDigest())
                : CompletableFuture.completedFuture(Optional.<HardwareRecord>empty())).thenCompose(r -> {
            if (r.isEmpty()) {
                return CompletableFuture.completedFuture(List.<Descriptor>of());
            }
            String created = r.get().hardwareArtifact().annotations().get("org.opencontainers.image.created");
            List<Artifacts.Built> built = Artifacts.ofIndexPlatform(r.get().document(), index, platform, created);
            return hardware.artifacts().store(repo, repo + "@" + index.digest() + "@" + platform.digest(), built)
                    .thenApply(v -> built.stream().map(b -> StoredArtifacts.descriptor(b.descriptor())).toList());
        });
    }
}
