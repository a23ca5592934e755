package dev.gantry.registry;

import dev.gantry.oci.ErrorCode;
import dev.gantry.upstream.UpstreamRegistry;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Tags lists of proxied repositories: asked upstream (pagination passed
 * through), or, when upstream is unwell, the tags Gantry has seen.
 */
public final class PullThroughTags implements TagService {

    private final UpstreamRegistry upstream;
    private final TagStore tags;

    public PullThroughTags(UpstreamRegistry upstream, TagStore tags) {
        this.upstream = upstream;
        this.tags = tags;
    }

    @Override
    public CompletableFuture<TagList> list(Repository repo, Integer n, String last) {
        return upstream.listTags(repo.upstream(), repo.name().toString(), n, last)
                .thenApply(page -> {
                    List<String> sorted = page.tags().stream().sorted().toList();
                    if (page.next() != null) {
                        if (n != null && sorted.size() > n) {
                            // An upstream that pages with more than n (GitLab's takes n=0 for 100): n it is, and
                            // none at all for n=0 (the spec: an empty list, no Link).
                            List<String> cut = sorted.subList(0, n);
                            return new TagList(repo.requestedName(), cut, cut.isEmpty() ? null : cut.get(n - 1),
                                    CacheOutcome.UPSTREAM);
                        }
                        return new TagList(repo.requestedName(), sorted, page.next(), CacheOutcome.UPSTREAM);
                    }
                    // An upstream that ignores n/last (Distribution 2.8 does) sent everything: page it here.
                    return page(repo, sorted, n, last, CacheOutcome.UPSTREAM);
                })
                .exceptionallyCompose(e -> {
                    if (!UpstreamErrors.isTransient(e)) {
                        return CompletableFuture.failedFuture(UpstreamErrors.map(e, repo, ErrorCode.NAME_UNKNOWN, "repository " + repo.name()));
                    }
                    return tags.list(repo).thenApply(known -> page(repo, known, n, last, CacheOutcome.STALE));
                });
    }

    /** A page of a complete, sorted tag list, with the spec's paging rules. */
    static TagList page(Repository repo, List<String> sorted, Integer n, String last, CacheOutcome outcome) {
        List<String> after = last == null ? sorted : sorted.stream().filter(t -> t.compareTo(last) > 0).toList();
        if (n != null && after.size() > n) {
            List<String> page = after.subList(0, n);
            return new TagList(repo.requestedName(), page, page.isEmpty() ? null : page.get(page.size() - 1), outcome);
        }
        return new TagList(repo.requestedName(), after, null, outcome);
    }
}
