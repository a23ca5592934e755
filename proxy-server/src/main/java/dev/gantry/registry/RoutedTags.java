package dev.gantry.registry;

import dev.gantry.oci.ErrorCode;
import dev.gantry.oci.RegistryException;
import java.util.concurrent.CompletableFuture;

/** Tags lists, by repository kind; a hosted repository that never got a manifest is unknown. */
public final class RoutedTags implements TagService {

    private final PullThroughTags proxied;
    private final HostedManifests hosted;
    private final HostedCatalog catalog;

    public RoutedTags(PullThroughTags proxied, HostedManifests hosted, HostedCatalog catalog) {
        this.proxied = proxied;
        this.hosted = hosted;
        this.catalog = catalog;
    }

    @Override
    public CompletableFuture<TagList> list(Repository repo, Integer n, String last) {
        if (!repo.isHosted()) {
            return proxied.list(repo, n, last);
        }
        return catalog.exists(repo).thenCompose(exists -> exists
                ? hosted.tags(repo, n, last)
                : CompletableFuture.failedFuture(new RegistryException(ErrorCode.NAME_UNKNOWN,
                        "repository " + repo.name() + " is not known")));
    }
}
