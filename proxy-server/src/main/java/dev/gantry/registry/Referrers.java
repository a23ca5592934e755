package dev.gantry.registry;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.gantry.oci.Descriptor;
import dev.gantry.oci.Digest;
import dev.gantry.oci.ErrorCode;
import dev.gantry.oci.Manifest;
import dev.gantry.oci.MediaTypes;
import dev.gantry.oci.Reference;
import dev.gantry.oci.RegistryException;
import dev.gantry.upstream.UpstreamRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The referrers API. Hosted repositories answer from the referrer records of
 * their pushes. Proxied ones ask the upstream's referrers API, falling back
 * to the {@code sha256-<hex>} tag scheme of registries without it, and
 * remember the answer for {@code tagTtl}. Contributors (the hardware
 * extension) add artifacts of their own, but only for a subject the
 * repository itself holds (linked to it, or confirmed by its upstream):
 * what Gantry derived from a private upstream's manifest is listed, and
 * linked, only under the repositories that manifest came through. Always an
 * index, never a 404: asked about a subject it does not hold, a repository
 * answers as for a digest never seen (an empty index), which reveals nothing.
 */
public final class Referrers implements ReferrerService {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Adds referrers Gantry itself produces for a subject. */
    interface Contributor {
        CompletableFuture<List<Descriptor>> referrers(Repository repo, Digest subject);
    }

    private final ReferrerStore store;
    private final RepositoryLinks links;
    private final UpstreamRegistry upstream;
    private final PullThroughManifests proxiedManifests;
    private final Cache<String, List<Descriptor>> proxied;
    private final List<Contributor> contributors = new CopyOnWriteArrayList<>();

    public Referrers(ReferrerStore store, RepositoryLinks links, UpstreamRegistry upstream, PullThroughManifests proxiedManifests,
              Duration ttl, long maxEntries, Clock clock) {
        this.store = store;
        this.links = links;
        this.upstream = upstream;
        this.proxiedManifests = proxiedManifests;
        this.proxied = Caffeine.newBuilder().maximumSize(maxEntries)
                .expireAfterWrite(ttl.toNanos(), TimeUnit.NANOSECONDS)
                .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis())).build();
    }

    void contribute(Contributor c) {
        contributors.add(c);
    }

    @Override
    public CompletableFuture<ReferrerService.Referrers> list(Repository repo, Digest subject, String artifactType) {
        CompletableFuture<List<Descriptor>> found = repo.isHosted() ? store.list(repo, subject) : fromUpstream(repo, subject);
        if (!contributors.isEmpty()) {
            found = found.thenCompose(list -> holdsSubject(repo, subject).thenCompose(holds -> holds
                    ? contributed(repo, subject, list)
                    : CompletableFuture.completedFuture(list)));
        }
        return found.thenApply(list -> {
            List<Descriptor> kept = artifactType == null ? list
                    : list.stream().filter(d -> artifactType.equals(d.artifactType())).toList();
            return new ReferrerService.Referrers(index(kept), artifactType != null);
        });
    }

    /** Whether the repository holds the subject manifest; false when that cannot be told (nothing is listed then). */
    private CompletableFuture<Boolean> holdsSubject(Repository repo, Digest subject) {
        CompletableFuture<Boolean> holds = repo.isHosted() ? links.isLinked(repo, subject) : proxiedManifests.holds(repo, subject);
        return holds.exceptionally(e -> false);
    }

    private CompletableFuture<List<Descriptor>> contributed(Repository repo, Digest subject, List<Descriptor> listed) {
        CompletableFuture<List<Descriptor>> found = CompletableFuture.completedFuture(listed);
        for (Contributor c : contributors) {
            found = found.thenCompose(list -> c.referrers(repo, subject).exceptionally(e -> List.of()).thenApply(more -> {
                List<Descriptor> all = new ArrayList<>(list);
                all.addAll(more);
                return all;
            }));
        }
        return found;
    }

    /** What the upstream said, and whether it may be remembered for {@code tagTtl}. */
    private record Found(List<Descriptor> referrers, boolean definite) {
    }

    private CompletableFuture<List<Descriptor>> fromUpstream(Repository repo, Digest subject) {
        String key = repo + "@" + subject;
        List<Descriptor> cached = proxied.getIfPresent(key);
        if (cached != null) {
            return CompletableFuture.completedFuture(cached);
        }
        return upstream.referrers(repo.upstream(), repo.name().toString(), subject)
                .thenApply(bytes -> new Found(descriptors(bytes), true))
                .exceptionallyCompose(e -> UpstreamErrors.isNotFound(e)
                        ? tagScheme(repo, subject)
                        // Down, busy or refusing: nothing to list now, but ask again next time.
                        : CompletableFuture.completedFuture(new Found(List.of(), false)))
                .thenApply(found -> {
                    if (found.definite()) {
                        proxied.put(key, found.referrers());
                    }
                    return found.referrers();
                });
    }

    /**
     * Registries without the referrers API (Docker Hub, Distribution 2.x) keep
     * them in an index tagged {@code <alg>-<hex>} (distribution-spec,
     * "Referrers Tag Schema"); the tag is read like any other, through the tag
     * cache and its rate-limit handling. No such tag means no referrers.
     */
    private CompletableFuture<Found> tagScheme(Repository repo, Digest subject) {
        Reference tag;
        try {
            tag = Reference.parse(schemeTag(subject));
        } catch (RegistryException e) {
            return CompletableFuture.completedFuture(new Found(List.of(), true)); // no tag can name it: none kept so
        }
        return proxiedManifests.get(repo, tag, List.of())
                .thenApply(m -> new Found(MediaTypes.isIndex(m.mediaType())
                        ? Manifest.parse(m.body(), m.mediaType()).manifests() : List.<Descriptor>of(), true))
                .exceptionally(e -> new Found(List.of(), isMissing(e)));
    }

    /**
     * The schema's tag for {@code subject}: the algorithm truncated to 32 characters, {@code -}, the encoded
     * part truncated to 64, each character a tag may not hold replaced by {@code -} (a sha512 subject's 128
     * hex digits made a tag of 135 characters, over the 128 a tag may have: a 404 where the API must list).
     */
    static String schemeTag(Digest subject) {
        return truncated(subject.algorithm(), 32) + "-" + truncated(subject.hex(), 64);
    }

    private static String truncated(String part, int max) {
        String allowed = part.replaceAll("[^a-zA-Z0-9_.-]", "-");
        return allowed.length() > max ? allowed.substring(0, max) : allowed;
    }

    private static boolean isMissing(Throwable failure) {
        Throwable t = UpstreamErrors.unwrap(failure);
        return UpstreamErrors.isNotFound(t) || t instanceof RegistryException r && r.code() == ErrorCode.MANIFEST_UNKNOWN;
    }

    private static List<Descriptor> descriptors(byte[] index) {
        try {
            return Manifest.parse(index, MediaTypes.OCI_INDEX).manifests();
        } catch (RegistryException e) {
            return List.of();
        }
    }

    static byte[] index(List<Descriptor> manifests) {
        Map<String, Object> idx = new LinkedHashMap<>();
        idx.put("schemaVersion", 2);
        idx.put("mediaType", MediaTypes.OCI_INDEX);
        idx.put("manifests", manifests);
        try {
            return JSON.writeValueAsBytes(idx);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
