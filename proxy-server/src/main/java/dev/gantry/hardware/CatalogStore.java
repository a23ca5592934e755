package dev.gantry.hardware;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gantry.oci.Digest;
import dev.gantry.registry.Repository;
import dev.gantry.storage.MetadataStore;
import dev.gantry.storage.StorageLayout;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the hardware catalog keeps what a repository holds (an image or an
 * index, its tags and platforms) so it can be rebuilt at start: one small
 * record per repository and top-level digest, under
 * {@link StorageLayout#imageKey}. The documents themselves are the hardware
 * records, stored once per platform manifest. Writes go to the blocking
 * executor one at a time, in the order they were made (a tag added right
 * after its image was placed must not be overwritten by the placement), and
 * never delay the request that caused them; a lost write costs a listing
 * until the image is served again.
 */
public final class CatalogStore {

    private static final Logger log = LoggerFactory.getLogger(CatalogStore.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The stored form: {@code platforms} empty for an image manifest, the index's image manifests for an index. */
    record Placed(@JsonProperty("repository") String repository, @JsonProperty("digest") String digest,
                  @JsonProperty("tags") List<String> tags, @JsonProperty("platforms") List<String> platforms) {
    }

    private final MetadataStore meta;
    private final Executor blocking;
    private final Queue<Runnable> writes = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean writing = new AtomicBoolean();

    public CatalogStore(MetadataStore meta, Executor blocking) {
        this.meta = meta;
        this.blocking = blocking;
    }

    /** Whether no write is queued or running. */
    boolean idle() {
        return writes.isEmpty() && !writing.get();
    }

    /** Runs {@code write} after every write queued before it, on the blocking executor. */
    private void inOrder(Runnable write) {
        writes.add(write);
        drain();
    }

    private void drain() {
        if (writes.isEmpty() || !writing.compareAndSet(false, true)) {
            return;
        }
        try {
            blocking.execute(() -> {
                try {
                    Runnable next;
                    while ((next = writes.poll()) != null) {
                        next.run();
                    }
                } finally {
                    writing.set(false);
                    drain(); // one queued between the last poll and the release
                }
            });
        } catch (RejectedExecutionException e) {
            writing.set(false); // stopping: what is left is written again when the image is next served
        }
    }

    void put(Repository repo, Digest top, List<String> tags, List<Digest> platforms) {
        Placed p = new Placed(repo.fullName(), top.toString(), List.copyOf(tags), platforms.stream().map(Digest::toString).toList());
        inOrder(() -> {
            try {
                meta.put(StorageLayout.imageKey(repo.namespace(), repo.name(), top), JSON.writeValueAsBytes(p));
            } catch (IOException | RuntimeException e) {
                log.warn("cannot keep the catalog record of {}@{}: {}", repo.fullName(), top, e.toString());
            }
        });
    }

    void delete(Repository repo, Digest top) {
        inOrder(() -> {
            try {
                meta.delete(StorageLayout.imageKey(repo.namespace(), repo.name(), top));
            } catch (IOException | RuntimeException e) {
                log.warn("cannot remove the catalog record of {}@{}: {}", repo.fullName(), top, e.toString());
            }
        });
    }

    /** Every stored record; unreadable ones are skipped. Blocks. */
    List<Placed> all() throws IOException {
        List<Placed> out = new ArrayList<>();
        for (String key : meta.listRecursive(StorageLayout.IMAGES_PREFIX)) {
            try {
                meta.get(StorageLayout.IMAGES_PREFIX + key).ifPresent(bytes -> {
                    try {
                        out.add(JSON.readValue(bytes, Placed.class));
                    } catch (IOException e) {
                        log.warn("ignoring the unreadable catalog record {}: {}", key, e.toString());
                    }
                });
            } catch (IOException e) {
                log.warn("cannot read the catalog record {}: {}", key, e.toString());
            }
        }
        return out;
    }
}
