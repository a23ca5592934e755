package dev.gantry.registry;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.gantry.oci.Descriptor;
import dev.gantry.oci.Digest;
import dev.gantry.oci.Manifest;
import dev.gantry.oci.RegistryException;
import java.util.regex.Pattern;

/**
 * The media type of each layer a manifest served or pushed here names, so
 * that a blob committed later can be recognised as a layer (the scanner
 * scans layers only). Fed by {@link BlobEvents}.
 */
public final class LayerTypes implements BlobEvents.Listener {

    /** RFC 6838's type/subtype names: what a peer's hint must look like. */
    private static final Pattern MEDIA_TYPE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*");

    private final Cache<Digest, String> types;

    /** @param maxEntries layers remembered at most (the least recently noted go first) */
    public LayerTypes(long maxEntries) {
        this.types = Caffeine.newBuilder().maximumSize(maxEntries).build();
    }

    /** The media type of a known layer, or null for blobs not known as layers (configs, artifacts). */
    public String mediaType(Digest digest) {
        return types.getIfPresent(digest);
    }

    @Override
    public void manifestServedAnew(Repository repo, ManifestResult m) {
        try {
            note(Manifest.parse(m.body(), m.mediaType()));
        } catch (RegistryException ignored) {
            // Not ours to judge here.
        }
    }

    @Override
    public void manifestPushed(Repository repo, Digest digest, Manifest manifest) {
        note(manifest);
    }

    /**
     * Notes a layer another replica of the fleet knows of (a manifest it
     * served named it) and asks this one for, as its owner. A type that is
     * not a plausible media type is ignored.
     */
    public void noteFromPeer(Digest digest, String mediaType) {
        if (mediaType != null && mediaType.length() <= 255 && MEDIA_TYPE.matcher(mediaType).matches()) {
            types.put(digest, mediaType);
        }
    }

    private void note(Manifest manifest) {
        for (Descriptor d : manifest.layers()) {
            types.put(d.parsedDigest(), d.mediaType());
        }
    }
}
