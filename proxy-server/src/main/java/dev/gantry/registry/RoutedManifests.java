package dev.gantry.registry;

import dev.gantry.oci.Digest;
import dev.gantry.oci.ErrorCode;
import dev.gantry.oci.Manifest;
import dev.gantry.oci.Reference;
import dev.gantry.oci.RegistryException;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Manifests as the HTTP layer sees them: dispatched by repository kind to
 * the pull-through or the hosted implementation; every manifest served or
 * pushed, and every hosted delete, is told to the {@link ManifestObserver}s.
 * Mirrored repositories are read-only.
 */
public final class RoutedManifests implements ManifestService {

    private static final Logger log = LoggerFactory.getLogger(RoutedManifests.class);

    private final PullThroughManifests proxied;
    private final HostedManifests hosted;
    private final CacheAdmin admin;
    private final Clock clock;
    private final List<ManifestObserver> observers = new CopyOnWriteArrayList<>();

    /** @param admin told of each client's pull (the admin API lists when an image was last pulled) */
    public RoutedManifests(PullThroughManifests proxied, HostedManifests hosted, CacheAdmin admin, Clock clock) {
        this.proxied = proxied;
        this.hosted = hosted;
        this.admin = admin;
        this.clock = clock;
    }

    /** Told of every manifest served or pushed, and of hosted deletes (the hardware catalog follows them). */
    public void observe(ManifestObserver observer) {
        observers.add(observer);
    }

    /** A manifest through the normal path, not counted as a client's pull (warming). */
    CompletableFuture<ManifestResult> fetch(Repository repo, Reference reference, List<String> accepted) {
        return repo.isHosted() ? hosted.get(repo, reference, accepted) : proxied.get(repo, reference, accepted);
    }

    @Override
    public CompletableFuture<ManifestResult> get(Repository repo, Reference reference, List<String> accepted) {
        return fetch(repo, reference, accepted).whenComplete((m, e) -> {
            if (m != null) {
                admin.notePull(repo, clock.instant());
                seen(repo, reference, m);
            }
        });
    }

    /**
     * Whether the repository is linked to {@code digest} now, from this replica's own records: no upstream is
     * asked, so a manifest it could confirm but has not is false. Blocks on the metadata store.
     */
    boolean linkedNow(Repository repo, Digest digest) {
        return proxied.linkedNow(repo, digest); // one set of links for both kinds
    }

    @Override
    public CompletableFuture<Boolean> holds(Repository repo, Digest digest) {
        return (repo.isHosted() ? hosted.holds(repo, digest) : proxied.holds(repo, digest)).exceptionally(e -> false);
    }

    @Override
    public CompletableFuture<PutResult> put(Repository repo, Reference reference, List<String> tags, String contentType,
                                            byte[] body) {
        if (!repo.isHosted()) {
            return CompletableFuture.failedFuture(readOnly(repo));
        }
        return hosted.put(repo, reference, tags, contentType, body).whenComplete((r, e) -> {
            if (r != null && !observers.isEmpty()) {
                // Parsed before, when the push was checked: this cannot fail now.
                ManifestResult m = new ManifestResult(body, Manifest.parse(body, contentType).mediaType(), r.digest(),
                        CacheOutcome.HIT, null);
                seen(repo, reference, m);
                r.tags().forEach(t -> seen(repo, Reference.parse(t), m));
            }
        });
    }

    @Override
    public CompletableFuture<Void> delete(Repository repo, Reference reference) {
        if (!repo.isHosted()) {
            return CompletableFuture.failedFuture(readOnly(repo));
        }
        return hosted.delete(repo, reference).whenComplete((v, e) -> {
            if (e == null) {
                observers.forEach(o -> o.removed(repo, reference));
            }
        });
    }

    private void seen(Repository repo, Reference reference, ManifestResult m) {
        for (ManifestObserver o : observers) {
            try {
                o.seen(repo, reference, m);
            } catch (RuntimeException e) {
                // An observer's trouble never fails the request that served or stored the manifest.
                log.debug("manifest observer failed on {}@{}: {}", repo, m.digest(), e.toString());
            }
        }
    }

    static RegistryException readOnly(Repository repo) {
        return new RegistryException(ErrorCode.UNSUPPORTED, repo.requestedName() + " is mirrored read-only from "
                + repo.namespace() + "; pushes and deletes go to hosted namespaces");
    }
}
