package dev.gantry.storage;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

/**
 * Metadata on local disk in front of the shared S3 copy. Reads try the local
 * copy first (and keep what they fetch remotely); writes go to both. When S3
 * fails, the local copy carries on and the remote write is retried later
 * ({@link #retryPending()}): no request fails because S3 is down.
 */
public final class TieredMetadataStore implements MetadataStore {

    private final MetadataStore local;
    private final MetadataStore remote;
    private final RemoteHealth health;
    /** Remote writes that failed: key → value, or empty for a delete. */
    private final Map<String, Optional<byte[]>> pending = new ConcurrentHashMap<>();

    private final Executor background;

    /** @param background runs remote writes, so a slow S3 never delays a response */
    public TieredMetadataStore(MetadataStore local, MetadataStore remote, RemoteHealth health,
                               Executor background) {
        this.local = local;
        this.remote = remote;
        this.health = health;
        this.background = background;
    }

    @Override
    public Optional<byte[]> get(String key) throws IOException {
        Optional<byte[]> here = local.get(key);
        return here.isPresent() ? here : fetchRemote(key, Optional.empty());
    }

    @Override
    public Optional<byte[]> getLatest(String key) throws IOException {
        Optional<byte[]> here = local.get(key);
        return pending.containsKey(key) ? here : fetchRemote(key, here);
    }

    private Optional<byte[]> fetchRemote(String key, Optional<byte[]> fallback) throws IOException {
        if (!health.available()) {
            return fallback;
        }
        try {
            Optional<byte[]> there = remote.get(key);
            if (there.isPresent()) {
                local.put(key, there.get());
                return there;
            }
            return fallback;
        } catch (IOException | RuntimeException e) {
            health.failure("reading " + key, e);
            return fallback;
        }
    }

    @Override
    public boolean exists(String key) throws IOException {
        if (local.exists(key)) {
            return true;
        }
        return get(key).isPresent();
    }

    @Override
    public void put(String key, byte[] value) throws IOException {
        local.put(key, value);
        pending.put(key, Optional.of(value));
        background.execute(() -> writeRemote(key, Optional.of(value)));
    }

    @Override
    public void putIfAbsent(String key, byte[] value) throws IOException {
        if (!local.exists(key)) {
            put(key, value);
        }
    }

    @Override
    public boolean delete(String key) throws IOException {
        boolean here = local.delete(key);
        pending.put(key, Optional.empty());
        background.execute(() -> writeRemote(key, Optional.empty()));
        return here;
    }

    /** Writes one pending record remotely; it stays pending (for {@link #retryPending()}) if that fails. */
    private void writeRemote(String key, Optional<byte[]> value) {
        if (!health.available()) {
            return;
        }
        try {
            if (value.isPresent()) {
                remote.put(key, value.get());
            } else {
                remote.delete(key);
            }
            pending.remove(key, value);
        } catch (IOException | RuntimeException e) {
            health.failure("writing " + key, e);
        }
    }

    @Override
    public List<String> list(String prefix) throws IOException {
        TreeSet<String> names = new TreeSet<>(local.list(prefix));
        if (health.available()) {
            try {
                names.addAll(remote.list(prefix));
            } catch (IOException | RuntimeException e) {
                health.failure("listing " + prefix, e);
            }
        }
        return new ArrayList<>(names);
    }

    @Override
    public List<String> listRecursive(String prefix) throws IOException {
        TreeSet<String> names = new TreeSet<>(local.listRecursive(prefix));
        if (health.available()) {
            try {
                names.addAll(remote.listRecursive(prefix));
            } catch (IOException | RuntimeException e) {
                health.failure("listing " + prefix, e);
            }
        }
        return new ArrayList<>(names);
    }

    /** Replays remote writes that failed; called periodically. Blocks. */
    public void retryPending() {
        for (Map.Entry<String, Optional<byte[]>> e : Map.copyOf(pending).entrySet()) {
            if (!health.available()) {
                return;
            }
            writeRemote(e.getKey(), e.getValue());
        }
    }

    /** Remote writes waiting for a retry. */
    public int pendingWrites() {
        return pending.size();
    }
}
