package dev.gantry.registry;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gantry.oci.Descriptor;
import dev.gantry.oci.Digest;
import dev.gantry.oci.Manifest;
import dev.gantry.oci.RegistryException;
import dev.gantry.storage.MetadataStore;
import dev.gantry.storage.StorageLayout;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * The referrers of each subject in each hosted repository, as the descriptors
 * the referrers API lists: recorded when a manifest with a {@code subject} is
 * pushed, removed when it is deleted.
 */
public final class ReferrerStore {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final MetadataStore meta;
    private final Executor blocking;

    public ReferrerStore(MetadataStore meta, Executor blocking) {
        this.meta = meta;
        this.blocking = blocking;
    }

    /**
     * The descriptor the referrers API lists for a manifest: its artifactType,
     * or its config's media type when it has none (OCI 1.1), and its annotations.
     */
    static Descriptor describe(Digest digest, String mediaType, long size, Manifest m) {
        String artifactType = m.artifactType() != null ? m.artifactType()
                : m.config() != null ? m.config().mediaType() : null;
        return new Descriptor(mediaType, digest.toString(), size, null, artifactType,
                m.annotations().isEmpty() ? null : Map.copyOf(m.annotations()));
    }

    /** Records a pushed referrer; written to the shared copy, where there is one, before the future completes. */
    CompletableFuture<Void> add(Repository repo, Digest subject, Descriptor referrer) {
        return BlockingIo.run(blocking, () -> {
            meta.putShared(StorageLayout.referrerKey(repo.namespace(), repo.name(), subject, referrer.parsedDigest()),
                    JSON.writeValueAsBytes(referrer));
        });
    }

    /** Forgets a deleted referrer, in the shared copy before the future completes. */
    CompletableFuture<Void> remove(Repository repo, Digest subject, Digest referrer) {
        return BlockingIo.run(blocking, () -> meta.deleteShared(StorageLayout.referrerKey(repo.namespace(), repo.name(), subject, referrer)));
    }

    CompletableFuture<List<Descriptor>> list(Repository repo, Digest subject) {
        return BlockingIo.supply(blocking, () -> {
            String prefix = StorageLayout.referrersPrefix(repo.namespace(), repo.name(), subject);
            List<Descriptor> out = new ArrayList<>();
            // As the shared copy lists them: a referrer deleted through another replica is gone.
            for (String name : meta.listShared(prefix)) {
                var bytes = meta.get(prefix + name);
                if (bytes.isPresent()) {
                    try {
                        Descriptor d = JSON.readValue(bytes.get(), Descriptor.class);
                        d.parsedDigest();
                        out.add(d);
                    } catch (IOException | RegistryException e) {
                        // A damaged record is skipped, not served.
                    }
                }
            }
            return out;
        });
    }
}
