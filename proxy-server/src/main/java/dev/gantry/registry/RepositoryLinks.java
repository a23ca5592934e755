package dev.gantry.registry;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.gantry.oci.Digest;
import dev.gantry.oci.RepositoryName;
import dev.gantry.oci.RegistryException;
import dev.gantry.storage.MetadataStore;
import dev.gantry.storage.StorageLayout;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which repositories may serve which digests. Storage is content-addressed
 * and shared, but a cached blob or manifest is served for a repository only
 * once its upstream has shown that repository holds it (by serving it, or a
 * manifest naming it, or a HEAD). Otherwise anyone who learnt a digest could
 * read through any repository content that Gantry fetched with private
 * credentials for another.
 *
 * <p>A hosted repository's links on a shared store are read from the shared
 * copy on each lookup and never cached here: another replica may have
 * deleted one a moment ago, and a client told the delete succeeded must get
 * a 404 from every replica. Mirrored repositories' links (a cache of what
 * the upstream showed) are remembered and read locally first.
 */
public final class RepositoryLinks {

    private static final Logger log = LoggerFactory.getLogger(RepositoryLinks.class);

    private final MetadataStore meta;
    private final Executor blocking;
    /** Links known to exist. Keyed by parts, not by the store key: a lookup builds no string. */
    private final Cache<Link, Boolean> known;
    /** Digests some hosted repository holds: content that may exist nowhere but here. */
    private final Set<Digest> hosted = ConcurrentHashMap.newKeySet();
    /** Which hosted repositories hold each digest, as this replica knows: where a mount without a source looks. */
    private final Map<Digest, Set<RepositoryName>> hostedHolders = new ConcurrentHashMap<>();

    public RepositoryLinks(MetadataStore meta, Executor blocking, long maxCached) {
        this.meta = meta;
        this.blocking = blocking;
        this.known = Caffeine.newBuilder().maximumSize(maxCached).build();
    }

    private record Link(String namespace, RepositoryName repository, Digest digest) {
        Link(Repository repo, Digest digest) {
            this(repo.namespace(), repo.name(), digest);
        }

        String key() {
            return StorageLayout.linkKey(namespace, repository, digest);
        }
    }

    CompletableFuture<Boolean> isLinked(Repository repo, Digest digest) {
        Link link = new Link(repo, digest);
        if (readShared(repo)) {
            return BlockingIo.supply(blocking, () -> meta.existsShared(link.key()));
        }
        if (Boolean.TRUE.equals(known.getIfPresent(link))) {
            return CompletableFuture.completedFuture(true);
        }
        return BlockingIo.supply(blocking, () -> {
            boolean linked = meta.exists(link.key());
            if (linked) {
                known.put(link, true);
            }
            return linked;
        });
    }

    CompletableFuture<Void> unlink(Repository repo, Digest digest) {
        Link link = new Link(repo, digest);
        known.invalidate(link);
        if (repo.isHosted()) {
            hostedHolders.computeIfPresent(digest, (d, holders) -> {
                holders.remove(repo.name());
                return holders.isEmpty() ? null : holders;
            });
        }
        return BlockingIo.run(blocking, () -> {
            if (repo.isHosted()) {
                meta.deleteShared(link.key());
            } else {
                meta.delete(link.key());
            }
        });
    }

    /** Whether the repository may serve the digest, read on the calling thread (which may block). */
    boolean isLinkedNow(Repository repo, Digest digest) throws IOException {
        Link link = new Link(repo, digest);
        if (readShared(repo)) {
            return meta.existsShared(link.key());
        }
        return Boolean.TRUE.equals(known.getIfPresent(link)) || meta.exists(link.key());
    }

    /** Whether the repository's links are read from the shared copy each time, uncached (see the class comment). */
    private boolean readShared(Repository repo) {
        return repo.isHosted() && meta.shared();
    }

    /** Removes a mirrored repository's link on the calling thread (which may block): an operator's eviction. */
    void unlinkNow(Repository repo, Digest digest) throws IOException {
        Link link = new Link(repo, digest);
        known.invalidate(link);
        meta.delete(link.key());
    }

    public boolean heldByHostedRepository(Digest d) {
        return hosted.contains(d);
    }

    /**
     * The hosted repositories this replica knows to hold {@code d}: candidates
     * only (a link is confirmed with {@link #isLinked} before it is used), and
     * links another replica wrote since start-up are not among them.
     */
    List<RepositoryName> hostedHolders(Digest d) {
        Set<RepositoryName> holders = hostedHolders.get(d);
        return holders == null ? List.of() : List.copyOf(holders);
    }

    private void holds(RepositoryName repo, Digest d) {
        hostedHolders.computeIfAbsent(d, k -> ConcurrentHashMap.newKeySet()).add(repo);
    }

    /** Reads which digests hosted repositories hold, at start-up. Blocks. */
    public void loadHosted() throws IOException {
        for (String key : meta.listRecursive("repositories/" + Repository.HOSTED_NAMESPACE + "/")) {
            int at = key.indexOf("/_links/");
            if (at >= 0) {
                String rest = key.substring(at + "/_links/".length());
                try {
                    Digest d = Digest.parse(rest.replace('/', ':'));
                    hosted.add(d);
                    holds(RepositoryName.of(key.substring(0, at)), d);
                } catch (RegistryException ignored) {
                    // Not a link.
                }
            }
        }
    }

    /**
     * Links digests to a repository. A hosted repository's links are written
     * before the future completes, to the shared copy where there is one:
     * they are what a push acknowledged, and every replica must honour them. A
     * mirrored repository's links hold from the moment this returns (the
     * upstream just showed the repository holds the digests) and are written
     * behind: a manifest miss waited for one file per layer before its
     * response, and on a tiered store for a shared read of each.
     */
    CompletableFuture<Void> link(Repository repo, Collection<Digest> digests) {
        return link(repo, digests, false);
    }

    /**
     * {@link #link(Repository, Collection)}; {@code recordedShared}: a
     * mirrored repository's links that the fleet member which sent the
     * manifest naming them has written to the shared tier, kept here only.
     */
    CompletableFuture<Void> link(Repository repo, Collection<Digest> digests, boolean recordedShared) {
        List<Link> missing = new ArrayList<>(digests.size());
        for (Digest d : digests) {
            Link link = new Link(repo, d);
            if (!Boolean.TRUE.equals(known.getIfPresent(link))) {
                missing.add(link);
            }
        }
        if (repo.isHosted()) {
            hosted.addAll(digests);
            digests.forEach(d -> holds(repo.name(), d));
            return missing.isEmpty() ? CompletableFuture.completedFuture(null)
                    : CompletableFuture.runAsync(() -> persistShared(missing), blocking);
        }
        if (missing.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        missing.forEach(l -> known.put(l, true));
        blocking.execute(() -> {
            try {
                persist(missing, recordedShared);
            } catch (UncheckedIOException e) {
                // Still linked in memory; after a restart the upstream is asked again (a HEAD).
                log.warn("cannot record that {} holds {} digests: {}", repo, missing.size(), e.getCause().toString());
            }
        });
        return CompletableFuture.completedFuture(null);
    }

    /**
     * Writes a mirrored repository's links to the shared copy too, although
     * this replica knows them: they were kept only here ({@code recordedShared})
     * and the replica that was to record them did not. Blocks.
     */
    void recordShared(Repository repo, Collection<Digest> digests) throws IOException {
        for (Digest d : digests) {
            meta.put(new Link(repo, d).key(), new byte[0]);
        }
    }

    /** A push's links: in the shared copy, where there is one, before this returns (every replica serves them). */
    private void persistShared(List<Link> links) {
        for (Link link : links) {
            try {
                meta.putShared(link.key(), new byte[0]);
                if (!meta.shared()) {
                    known.put(link, true);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private void persist(List<Link> links, boolean recordedShared) {
        for (Link link : links) {
            try {
                if (recordedShared) {
                    meta.putHere(link.key(), new byte[0]);
                } else {
                    meta.putIfAbsent(link.key(), new byte[0]);
                }
                known.put(link, true);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
