package dev.gantry.registry;

import dev.gantry.storage.MetadataStore;
import dev.gantry.storage.StorageLayout;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Predicate;

/** The catalog: every hosted repository that has received a manifest, sorted, paged. */
public final class HostedCatalog implements CatalogService {

    private static final String MARKER = "/_repo";

    private final MetadataStore meta;
    private final Executor blocking;

    public HostedCatalog(MetadataStore meta, Executor blocking) {
        this.meta = meta;
        this.blocking = blocking;
    }

    @Override
    public CompletableFuture<CatalogPage> list(Integer n, String last, Predicate<String> visible) {
        return BlockingIo.supply(blocking, () -> {
            List<String> names = meta.listRecursive("catalog/").stream()
                    .filter(k -> k.endsWith(MARKER))
                    .map(k -> k.substring(0, k.length() - MARKER.length()))
                    .sorted()
                    .filter(name -> last == null || name.compareTo(last) > 0)
                    .filter(visible)
                    .toList();
            if (n != null && names.size() > n) {
                List<String> page = names.subList(0, n);
                return new CatalogPage(page, page.isEmpty() ? null : page.get(page.size() - 1));
            }
            return new CatalogPage(names, null);
        });
    }

    /** Whether a hosted repository exists (it has received a manifest). */
    CompletableFuture<Boolean> exists(Repository repo) {
        return BlockingIo.supply(blocking, () -> meta.exists(StorageLayout.catalogKey(repo.name())));
    }
}
