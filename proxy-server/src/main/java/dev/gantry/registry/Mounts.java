package dev.gantry.registry;

import dev.gantry.oci.Digest;
import dev.gantry.oci.RegistryException;
import dev.gantry.oci.RepositoryName;
import dev.gantry.storage.LocalTier;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

/**
 * Cross-repository mounts into hosted repositories: a blob another
 * repository already holds is linked into the target instead of being
 * uploaded again. A mount that names its source reads only there; one that
 * names none looks among the hosted repositories holding the blob for one the
 * caller may read. Mirrored repositories are never searched, so content
 * fetched with an upstream's credentials cannot surface through a guessed
 * digest, and a named source of a private upstream is refused the same way.
 * Whether the caller may read a source is decided by the caller of this class
 * (the HTTP layer's access rules).
 */
public final class Mounts {

    private final LocalTier disk;
    private final RepositoryLinks links;
    private final RepositoryResolver resolver;
    private final UploadCommit commit;

    /** @param commit makes a mounted blob durable in the shared tier, like an upload, before it is linked */
    public Mounts(LocalTier disk, RepositoryLinks links, RepositoryResolver resolver, UploadCommit commit) {
        this.disk = disk;
        this.commit = commit;
        this.links = links;
        this.resolver = resolver;
    }

    /**
     * Links {@code digest} into {@code target} if {@code from} holds it; false
     * otherwise (then: upload). Never from a repository of a private upstream:
     * the link would let whoever may pull {@code target} read content fetched
     * with that upstream's credentials.
     */
    CompletableFuture<Boolean> mount(Repository target, Digest digest, Repository from) {
        if (from.fromPrivateUpstream() || disk.statNow(digest).isEmpty()) {
            return CompletableFuture.completedFuture(false);
        }
        return links.isLinked(from, digest).thenCompose(held -> held ? link(target, digest) : CompletableFuture.completedFuture(false));
    }

    /** Links {@code digest} into {@code target} from the first readable hosted repository holding it; false if none does. */
    CompletableFuture<Boolean> mountFromAny(Repository target, Digest digest, Predicate<Repository> readable) {
        if (disk.statNow(digest).isEmpty()) {
            return CompletableFuture.completedFuture(false);
        }
        List<Repository> candidates = new ArrayList<>();
        for (RepositoryName name : links.hostedHolders(digest)) {
            Repository source = hostedNamed(name);
            if (source != null && readable.test(source)) {
                candidates.add(source);
            }
        }
        CompletableFuture<Boolean> found = CompletableFuture.completedFuture(false);
        for (Repository source : candidates) {
            found = found.thenCompose(done -> done ? CompletableFuture.completedFuture(true) : links.isLinked(source, digest));
        }
        return found.thenCompose(held -> held ? link(target, digest) : CompletableFuture.completedFuture(false));
    }

    /** The hosted repository of that name under today's configuration, or null if it is no longer hosted. */
    private Repository hostedNamed(RepositoryName name) {
        try {
            Repository r = resolver.resolve(name.toString(), null);
            return r.isHosted() ? r : null;
        } catch (RegistryException e) {
            return null;
        }
    }

    private CompletableFuture<Boolean> link(Repository target, Digest digest) {
        return commit.shared(digest).thenCompose(v -> SharedWrites.acknowledged(links.link(target, List.of(digest))))
                .thenApply(v -> true);
    }
}
