package dev.gantry.registry;

import dev.gantry.oci.Descriptor;
import dev.gantry.oci.Digest;
import dev.gantry.oci.Manifest;
import dev.gantry.oci.RegistryException;
import java.io.IOException;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What an image is made of, as far as this store holds it: its manifest,
 * for an index the platform manifests held here, and every config and layer
 * they name with its size. Nothing is fetched; a manifest not held is left
 * out with whatever it names. Built on a blocking thread.
 */
final class ImageParts {

    /**
     * One held manifest.
     *
     * @param index the index it was reached through, or null for the image's own manifest
     * @param platform its platform as the index names it, or null
     * @param blobs the configs and layers it names, digest → size
     */
    record Held(Digest digest, String mediaType, Digest index, String platform, Map<Digest, Long> blobs) {
    }

    private final Map<Digest, Held> manifests = new LinkedHashMap<>();
    private final Map<Digest, Long> blobs = new LinkedHashMap<>();
    private final Set<Digest> missing = new HashSet<>();

    /** The parts of the image whose manifest is {@code root}; empty when the store does not hold it. */
    static ImageParts of(ManifestStore store, Digest root) throws IOException {
        ImageParts parts = new ImageParts();
        parts.add(store, root, null, null);
        return parts;
    }

    private void add(ManifestStore store, Digest digest, Digest index, String platform) throws IOException {
        if (manifests.containsKey(digest)) {
            return;
        }
        Optional<ManifestStore.StoredManifest> stored = store.readNow(digest);
        if (stored.isEmpty()) {
            missing.add(digest);
            return;
        }
        Manifest parsed;
        try {
            parsed = Manifest.parse(stored.get().body(), stored.get().mediaType());
        } catch (RegistryException e) {
            // Served as it came; nothing in it we could count.
            manifests.put(digest, new Held(digest, stored.get().mediaType(), index, platform, Map.of()));
            return;
        }
        Map<Digest, Long> own = new LinkedHashMap<>();
        for (Descriptor d : parsed.blobs()) {
            try {
                own.put(d.parsedDigest(), Math.max(0, d.size()));
            } catch (RegistryException ignored) {
                // A descriptor with a bad digest names nothing that could be stored.
            }
        }
        manifests.put(digest, new Held(digest, parsed.mediaType(), index, platform, own));
        blobs.putAll(own);
        for (Descriptor child : parsed.manifests()) {
            try {
                add(store, child.parsedDigest(), digest, child.platform() == null ? null : child.platform().toString());
            } catch (RegistryException ignored) {
                // As above.
            }
        }
    }

    /** The manifests the image names (itself included) that were not held when its parts were read. */
    Set<Digest> missing() {
        return missing;
    }

    Map<Digest, Held> manifests() {
        return manifests;
    }

    /** Every distinct config and layer, digest → size. */
    Map<Digest, Long> blobs() {
        return blobs;
    }

    /** Platform manifests: held manifests reached through an index. */
    int platforms() {
        return (int) manifests.values().stream().filter(h -> h.index() != null).count();
    }
}
