package dev.gantry.registry;

import java.util.concurrent.CompletableFuture;

/** Tags lists. */
public interface TagService {

    /**
     * Tags in lexical order after {@code last}, at most {@code n} of them.
     *
     * @param n page size, or null for the registry's choice
     * @param last the last tag of the previous page, or null
     */
    CompletableFuture<TagList> list(Repository repository, Integer n, String last);
}
