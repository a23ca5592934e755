package dev.gantry.registry;

import dev.gantry.oci.Descriptor;
import dev.gantry.oci.Digest;
import dev.gantry.oci.ErrorCode;
import dev.gantry.oci.Manifest;
import dev.gantry.oci.Platform;
import dev.gantry.oci.RegistryException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Accept negotiation: a manifest is served as stored if the client accepts
 * its media type. A client that cannot take an index it asked for by tag gets
 * the linux/amd64 manifest from it, as Docker Hub does; anything else is
 * unknown to that client. Asked for by digest, a manifest is never another:
 * the client checks what it gets against the digest it asked for.
 */
final class ManifestNegotiation {

    /** The platform a client that cannot take an index gets. */
    static final Platform DEFAULT_PLATFORM = new Platform("amd64", "linux", null);

    private ManifestNegotiation() {
    }

    /** @param byTag whether the client named a tag (else a digest: then no platform manifest stands in for an index) */
    static CompletableFuture<ManifestResult> negotiate(ManifestResult m, List<String> accepted, boolean byTag,
                                                      Function<Digest, CompletableFuture<ManifestResult>> byDigest) {
        if (accepts(accepted, m.mediaType())) {
            return CompletableFuture.completedFuture(m);
        }
        Manifest parsed = Manifest.parse(m.body(), m.mediaType());
        Optional<Descriptor> fallback = byTag && parsed.isIndex() ? parsed.manifestFor(DEFAULT_PLATFORM) : Optional.empty();
        if (fallback.isPresent() && accepts(accepted, fallback.get().mediaType())) {
            return byDigest.apply(fallback.get().parsedDigest()).thenApply(child -> child.withOutcome(m.outcome(), m.staleReason()));
        }
        return CompletableFuture.failedFuture(new RegistryException(ErrorCode.MANIFEST_UNKNOWN,
                "manifest is " + m.mediaType() + ", which the client does not accept (Accept: " + String.join(", ", accepted) + ")"));
    }

    static boolean accepts(List<String> accepted, String type) {
        return accepted.isEmpty() || accepted.contains(type) || accepted.contains("*/*");
    }
}
