package dev.gantry.registry;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.gantry.oci.Digest;
import dev.gantry.oci.Manifest;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one {@link BlobEvents} of a running registry: the parts report to it,
 * it tells every listener in the order they were registered. One listener's
 * failure never reaches the part that reported nor the other listeners.
 */
public final class BlobEventHub implements BlobEvents {

    private static final Logger log = LoggerFactory.getLogger(BlobEventHub.class);

    /** How long a served manifest's layer bookkeeping and prefetch plan stand before it is redone. */
    public static final Duration REPLAN_AFTER = Duration.ofSeconds(10);

    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    /**
     * Manifests (per repository) served within the last {@link #REPLAN_AFTER}:
     * a warm tag is served thousands of times a second, and parsing it twice
     * per request for work already done tripled the CPU of a manifest GET.
     */
    private final Cache<String, Boolean> recentlyServed;

    /**
     * @param clock the clock {@link #REPLAN_AFTER} is measured on
     * @param recentManifests how many served manifests are remembered as recently served
     */
    public BlobEventHub(Clock clock, long recentManifests) {
        this.recentlyServed = Caffeine.newBuilder().maximumSize(recentManifests).expireAfterWrite(REPLAN_AFTER)
                .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis())).build();
    }

    @Override
    public void listen(Listener listener) {
        listeners.add(listener);
    }

    public void fillCommitted(Digest digest, BlobTiers.Origin origin) {
        tell("fill committed " + digest, l -> l.fillCommitted(digest, origin));
    }

    public void fillFailed(Digest digest, BlobTiers.Origin origin) {
        tell("fill failed " + digest, l -> l.fillFailed(digest, origin));
    }

    public void uploadCommitted(Repository repo, Digest digest) {
        tell("upload committed " + digest, l -> l.uploadCommitted(repo, digest));
    }

    public void manifestFetching(Repository repo) {
        tell("fetching a manifest of " + repo, l -> l.manifestFetching(repo));
    }

    public void manifestServed(Repository repo, ManifestResult m) {
        tell("served " + m.digest(), l -> l.manifestServed(repo, m));
        if (recentlyServed.asMap().putIfAbsent(repo + "@" + m.digest(), Boolean.TRUE) == null) {
            tell("served anew " + m.digest(), l -> l.manifestServedAnew(repo, m));
        }
    }

    public void manifestPushed(Repository repo, Digest digest, Manifest manifest) {
        tell("pushed " + digest, l -> l.manifestPushed(repo, digest, manifest));
    }

    public void evicted(Digest digest, long size) {
        tell("evicted " + digest, l -> l.evicted(digest, size));
    }

    public void scanned(Digest digest) {
        tell("scanned " + digest, l -> l.scanned(digest));
    }

    private void tell(String event, Consumer<Listener> call) {
        for (Listener l : listeners) {
            try {
                call.accept(l);
            } catch (RuntimeException e) {
                log.warn("a listener failed on {}: {}", event, e.toString());
            }
        }
    }
}
