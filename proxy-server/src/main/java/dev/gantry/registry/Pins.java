package dev.gantry.registry;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.gantry.oci.Digest;
import dev.gantry.oci.ErrorCode;
import dev.gantry.oci.Reference;
import dev.gantry.oci.RegistryException;
import dev.gantry.storage.MetadataStore;
import dev.gantry.storage.StorageLayout;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pinned images: from the configuration, and made through the admin API
 * (kept in the metadata store, so they survive restarts). Holds, besides,
 * the digests the pinned images are made of, which the disk tier's
 * eviction leaves alone. Thread-safe.
 */
public final class Pins {

    private static final Logger log = LoggerFactory.getLogger(Pins.class);
    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule());

    /** Where a pin came from. */
    enum Source { CONFIG, API }

    /** What the store keeps of a pin made through the API. */
    record Stored(@JsonProperty("pinnedAt") Instant pinnedAt, @JsonProperty("pinnedBy") String pinnedBy) {
    }

    /** One pin and what its last revalidation found. */
    static final class Pin {
        final Repository repo;
        final String tag;
        final Source source;
        final Instant pinnedAt;
        final String pinnedBy;
        volatile Digest digest;
        volatile Instant revalidatedAt;
        volatile String error;

        Pin(Repository repo, String tag, Source source, Instant pinnedAt, String pinnedBy) {
            this.repo = repo;
            this.tag = tag;
            this.source = source;
            this.pinnedAt = pinnedAt;
            this.pinnedBy = pinnedBy;
        }

        String image() {
            return repo.fullName() + ":" + tag;
        }
    }

    private final MetadataStore meta;
    private final Clock clock;
    private final Map<String, Pin> pins = new ConcurrentSkipListMap<>();
    private volatile Set<Digest> held = Set.of();

    /**
     * Loads configured and stored pins. Blocks.
     *
     * @param configured images as the configuration names them ({@code name:tag}), resolved by {@code resolve}
     * @param repository the repository of a stored pin's namespace and name, or null when it is no longer served
     * @throws IllegalArgumentException when a configured pin names no repository Gantry serves
     */
    public Pins(MetadataStore meta, Clock clock, List<String> configured, BiFunction<String, String, Repository> resolve,
         BiFunction<String, String, Repository> repository) throws IOException {
        this.meta = meta;
        this.clock = clock;
        for (String image : configured) {
            int colon = image.lastIndexOf(':');
            Repository repo;
            try {
                repo = resolve.apply(image.substring(0, colon), null);
            } catch (RegistryException e) {
                throw new IllegalArgumentException("cache.pins.images: " + image + ": " + e.getMessage(), e);
            }
            Pin p = new Pin(repo, image.substring(colon + 1), Source.CONFIG, null, null);
            pins.put(p.image(), p);
        }
        for (String key : meta.listRecursive(StorageLayout.PINS_PREFIX)) {
            int at = key.indexOf("/_tags/");
            int slash = key.indexOf('/');
            if (at < 0 || slash >= at) {
                continue;
            }
            String tag = key.substring(at + "/_tags/".length());
            Repository repo = Reference.isValidTag(tag) ? repository.apply(key.substring(0, slash), key.substring(slash + 1, at)) : null;
            if (repo == null) {
                log.warn("ignoring the pin {}: its repository is no longer served here", key);
                continue;
            }
            try {
                Stored s = JSON.readValue(meta.get(StorageLayout.PINS_PREFIX + key).orElseThrow(), Stored.class);
                pins.putIfAbsent(repo.fullName() + ":" + tag, new Pin(repo, tag, Source.API, s.pinnedAt(), s.pinnedBy()));
            } catch (IOException | RuntimeException e) {
                log.warn("ignoring an unreadable pin {}: {}", key, e.toString());
            }
        }
    }

    List<Pin> all() {
        return List.copyOf(pins.values());
    }

    Pin get(Repository repo, String tag) {
        return pins.get(repo.fullName() + ":" + tag);
    }

    boolean isPinned(Repository repo, String tag) {
        return get(repo, tag) != null;
    }

    /**
     * Pins through the API; blocks while the pin is stored.
     *
     * @return the pin, and whether it is new
     */
    Map.Entry<Pin, Boolean> add(Repository repo, String tag, String user) throws IOException {
        Pin existing = get(repo, tag);
        if (existing != null) {
            return Map.entry(existing, false);
        }
        Pin p = new Pin(repo, tag, Source.API, clock.instant(), user);
        meta.put(StorageLayout.pinKey(repo.namespace(), repo.name(), tag), JSON.writeValueAsBytes(new Stored(p.pinnedAt, p.pinnedBy)));
        Pin raced = pins.putIfAbsent(p.image(), p);
        return raced == null ? Map.entry(p, true) : Map.entry(raced, false);
    }

    /** Unpins a pin made through the API; blocks while it is removed from the store. */
    Pin remove(Repository repo, String tag) throws IOException {
        Pin p = get(repo, tag);
        if (p == null) {
            throw new RegistryException(ErrorCode.MANIFEST_UNKNOWN, 404, repo.fullName() + ":" + tag + " is not pinned", Map.of(), null);
        }
        if (p.source == Source.CONFIG) {
            throw new RegistryException(ErrorCode.DENIED, 409, p.image() + " is pinned by the configuration (cache.pins.images); "
                    + "remove it there", Map.of(), null);
        }
        meta.delete(StorageLayout.pinKey(repo.namespace(), repo.name(), tag));
        pins.remove(p.image());
        return p;
    }

    /** Whether a blob or manifest belongs to a pinned image (as of the last {@link #hold}). */
    boolean holds(Digest d) {
        return held.contains(d);
    }

    void hold(Set<Digest> digests) {
        this.held = Set.copyOf(digests);
    }

    Instant now() {
        return clock.instant();
    }
}
