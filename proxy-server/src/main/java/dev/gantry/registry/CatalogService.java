package dev.gantry.registry;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

/** {@code /v2/_catalog}: the hosted repositories, in lexical order, paged like tags. */
public interface CatalogService {

    /** One page; {@code next} is the {@code last} of the next page, or null. */
    record CatalogPage(List<String> repositories, String next) {
    }

    /** @param visible keeps only the repositories the caller may see */
    CompletableFuture<CatalogPage> list(Integer n, String last, Predicate<String> visible);
}
