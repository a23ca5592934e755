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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pinned images: from the configuration, and made through the admin API
 * (kept in the metadata store, so they survive restarts, and with a shared
 * bucket written there before the API call is answered, so they are the
 * fleet's: each replica adopts the others' on {@link #refresh}). Holds,
 * besides, the digests the pinned images are made of, which the disk tier's
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
    private final BiFunction<String, String, Repository> repository;
    private final Map<String, Pin> pins = new ConcurrentSkipListMap<>();
    /**
     * Held by whatever changes the pins of the API: a refresh must not drop a
     * pin added while it read the store, nor bring back one removed meanwhile.
     */
    private final Object changes = new Object();
    /** Stored pins already warned about, so that a refresh does not warn again every time. */
    private final Set<String> ignored = ConcurrentHashMap.newKeySet();
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
        this.repository = repository;
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
        try {
            refresh();
        } catch (IOException e) {
            // The bucket cannot be listed at start: this disk's copies hold until a refresh can list it.
            log.warn("cannot list the pins made through the admin API in the bucket now, so this replica starts with its"
                    + " own copies of them; they are checked against the bucket once it answers: {}", e.toString());
            for (String key : meta.listRecursive(StorageLayout.PINS_PREFIX)) {
                Pin named = named(key);
                if (named != null && !pins.containsKey(named.image())) {
                    adopt(key, named);
                }
            }
        }
    }

    /**
     * Makes the pins of the API those the store holds: with a shared bucket,
     * those the bucket holds now, so pins other replicas made are adopted and
     * those they removed dropped; else the local store's. A pin kept keeps
     * what its revalidations found; configured pins are left as they are.
     * A pin whose record cannot be read now is left as it is. Blocks.
     *
     * @return whether a pin was adopted or dropped
     * @throws IOException when the stored pins cannot be listed (nothing changed)
     */
    public boolean refresh() throws IOException {
        synchronized (changes) {
            Set<String> stored = new HashSet<>();
            boolean changed = false;
            // The shared copy's one listing says which pins are there: the local copy keeps what other
            // replicas deleted, and a pin known here needs no read of its own.
            for (String key : meta.listSharedRecursive(StorageLayout.PINS_PREFIX)) {
                Pin named = named(key);
                Pin known = named == null ? null : pins.get(named.image());
                if (named == null || known != null && known.source == Source.CONFIG) {
                    continue;
                }
                if (known != null) {
                    stored.add(known.image());
                    continue;
                }
                try {
                    if (adopt(key, named)) {
                        stored.add(named.image());
                        changed = true;
                    }
                } catch (IOException | RuntimeException e) {
                    log.debug("cannot read the pin {} now: {}", key, e.toString());
                }
            }
            for (Pin p : pins.values()) {
                if (p.source == Source.API && !stored.contains(p.image()) && pins.remove(p.image(), p)) {
                    changed = true;
                }
            }
            return changed;
        }
    }

    /**
     * The pin a stored key names, without when and by whom it was made; null
     * (warned about once) when it names no repository served here.
     */
    private Pin named(String key) {
        int at = key.indexOf("/_tags/");
        int slash = key.indexOf('/');
        if (at < 0 || slash >= at) {
            return null;
        }
        String tag = key.substring(at + "/_tags/".length());
        Repository repo = Reference.isValidTag(tag) ? repository.apply(key.substring(0, slash), key.substring(slash + 1, at)) : null;
        if (repo == null) {
            if (ignored.add(key)) {
                log.warn("ignoring the pin {}: its repository is no longer served here", key);
            }
            return null;
        }
        return new Pin(repo, tag, Source.API, null, null);
    }

    /** Adds the pin of {@code key} as the shared copy holds it; whether it holds one. */
    private boolean adopt(String key, Pin named) throws IOException {
        Optional<byte[]> record = meta.getShared(StorageLayout.PINS_PREFIX + key);
        if (record.isEmpty()) {
            return false;
        }
        try {
            Stored s = JSON.readValue(record.get(), Stored.class);
            pins.put(named.image(), new Pin(named.repo, named.tag, Source.API, s.pinnedAt(), s.pinnedBy()));
            return true;
        } catch (IOException | RuntimeException e) {
            if (ignored.add(key)) {
                log.warn("ignoring an unreadable pin {}: {}", key, e.toString());
            }
            return false;
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
     * Pins through the API; blocks while the pin is stored, in the shared
     * bucket where there is one, so that every replica reads it once this
     * returns. A pin another replica made and this one has not adopted yet
     * counts as existing.
     *
     * @return the pin, and whether it is new
     * @throws dev.gantry.storage.SharedWriteException when the bucket could not be written (nothing pinned)
     */
    Map.Entry<Pin, Boolean> add(Repository repo, String tag, String user) throws IOException {
        synchronized (changes) {
            Pin existing = get(repo, tag);
            if (existing == null) {
                existing = adoptOne(repo, tag);
            }
            if (existing != null) {
                return Map.entry(existing, false);
            }
            Pin p = new Pin(repo, tag, Source.API, clock.instant(), user);
            meta.putShared(StorageLayout.pinKey(repo.namespace(), repo.name(), tag),
                    JSON.writeValueAsBytes(new Stored(p.pinnedAt, p.pinnedBy)));
            pins.put(p.image(), p);
            return Map.entry(p, true);
        }
    }

    /**
     * Unpins a pin made through the API (here or, not adopted yet, by another
     * replica); blocks while it is removed from the store, the shared bucket
     * first where there is one.
     */
    Pin remove(Repository repo, String tag) throws IOException {
        synchronized (changes) {
            Pin p = get(repo, tag);
            if (p == null) {
                p = adoptOne(repo, tag);
            }
            if (p == null) {
                throw new RegistryException(ErrorCode.MANIFEST_UNKNOWN, 404, repo.fullName() + ":" + tag + " is not pinned", Map.of(), null);
            }
            if (p.source == Source.CONFIG) {
                throw new RegistryException(ErrorCode.DENIED, 409, p.image() + " is pinned by the configuration (cache.pins.images); "
                        + "remove it there", Map.of(), null);
            }
            meta.deleteShared(StorageLayout.pinKey(repo.namespace(), repo.name(), tag));
            pins.remove(p.image());
            return p;
        }
    }

    /** The stored pin of {@code repo:tag} as the shared copy holds it, adopted; null when there is none. */
    private Pin adoptOne(Repository repo, String tag) throws IOException {
        String key = StorageLayout.pinKey(repo.namespace(), repo.name(), tag).substring(StorageLayout.PINS_PREFIX.length());
        return adopt(key, new Pin(repo, tag, Source.API, null, null)) ? get(repo, tag) : null;
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
