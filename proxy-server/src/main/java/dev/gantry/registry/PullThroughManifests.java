package dev.gantry.registry;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.gantry.config.CacheConfig;
import dev.gantry.oci.Descriptor;
import dev.gantry.oci.Digest;
import dev.gantry.oci.ErrorCode;
import dev.gantry.oci.Manifest;
import dev.gantry.oci.Reference;
import dev.gantry.oci.RegistryException;
import dev.gantry.registry.ManifestStore.StoredManifest;
import dev.gantry.upstream.UpstreamRegistry.FetchedManifest;
import dev.gantry.upstream.UpstreamRegistry;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Manifests of proxied repositories. By digest they are immutable and cached
 * forever. A tag is trusted for {@code tagTtl}, then revalidated with a HEAD
 * (which Docker Hub does not count as a pull); the body is fetched only when
 * the digest changed. If upstream fails, times out or rate-limits, the last
 * good manifest is served stale. Concurrent requests for the same tag or
 * digest share one upstream request.
 */
public final class PullThroughManifests {

    private static final Logger log = LoggerFactory.getLogger(PullThroughManifests.class);

    private final ManifestStore manifests;
    private final TagStore tags;
    private final RepositoryLinks links;
    private final UpstreamRegistry upstream;
    private final Clock clock;
    private final Duration tagTtl;
    private final Cache<String, Boolean> notFound;
    private final SingleFlight<String, ManifestResult> byTag = new SingleFlight<>();
    private final SingleFlight<String, StoredManifest> byDigest = new SingleFlight<>();
    private final BlobEventHub events;
    /** Checks that a manifest's fleet owner recorded what it sent this replica. */
    private final OwnerRecords ownerRecords;
    /** When each repository last changed: a tag moved or was first seen. Prefetch's idea of "recent". */
    private final Cache<String, Instant> updated;

    public PullThroughManifests(ManifestStore manifests, TagStore tags, RepositoryLinks links, UpstreamRegistry upstream,
                         Clock clock, Duration tagTtl, Duration notFoundTtl, CacheConfig.Entries sizes, BlobEventHub events) {
        this.updated = Caffeine.newBuilder().maximumSize(sizes.lastPulls()).build();
        this.events = events;
        this.manifests = manifests;
        this.tags = tags;
        this.links = links;
        this.ownerRecords = new OwnerRecords(manifests, links);
        this.upstream = upstream;
        this.clock = clock;
        this.tagTtl = tagTtl;
        this.notFound = Caffeine.newBuilder()
                .expireAfterWrite(notFoundTtl.toNanos(), TimeUnit.NANOSECONDS)
                .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis()))
                .maximumSize(sizes.notFound())
                .build();
    }

    /** When the repository last changed as far as this replica knows, or null. */
    Instant updatedAt(Repository repo) {
        return updated.getIfPresent(repo.toString());
    }

    private void noteUpdate(Repository repo, Instant changedAt) {
        if (changedAt != null) {
            updated.asMap().merge(repo.toString(), changedAt, (a, b) -> a.isAfter(b) ? a : b);
        }
    }

    CompletableFuture<ManifestResult> get(Repository repo, Reference reference, List<String> accepted) {
        CompletableFuture<ManifestResult> found = reference.isDigest()
                ? byDigest(repo, reference.digest())
                : byTag(repo, reference.tag());
        return found.thenCompose(m -> negotiate(repo, m, accepted, !reference.isDigest()))
                .whenComplete((m, e) -> {
                    if (m != null) {
                        events.manifestServed(repo, m);
                    }
                });
    }

    private CompletableFuture<ManifestResult> negotiate(Repository repo, ManifestResult m, List<String> accepted, boolean byTag) {
        return ManifestNegotiation.negotiate(m, accepted, byTag, d -> byDigest(repo, d));
    }

    // ---- by digest --------------------------------------------------------------------------

    private CompletableFuture<ManifestResult> byDigest(Repository repo, Digest digest) {
        return manifests.get(digest).thenCompose(stored -> {
            if (stored.isPresent()) {
                return authorize(repo, stored.get()).thenApply(v -> result(stored.get(), CacheOutcome.HIT, null));
            }
            return byDigest.run(repo + "@" + digest, () -> fetchByDigest(repo, digest))
                    .thenApply(m -> result(m, CacheOutcome.MISS, null));
        });
    }

    /** A stored manifest is served for a repository that is linked to it, or that upstream confirms holds it. */
    private CompletableFuture<Void> authorize(Repository repo, StoredManifest m) {
        return links.isLinked(repo, m.digest()).thenCompose(linked -> linked
                ? CompletableFuture.completedFuture(null)
                : upstream.headManifest(repo.upstream(), repo.name().toString(), m.digest().toString())
                        .exceptionallyCompose(e -> CompletableFuture.failedFuture(
                                UpstreamErrors.map(e, repo, ErrorCode.MANIFEST_UNKNOWN, "manifest " + m.digest())))
                        .thenCompose(head -> linkManifest(repo, m)));
    }

    /** Whether the repository is linked to {@code digest} now, from this replica's records; false when unreadable. Blocks. */
    boolean linkedNow(Repository repo, Digest digest) {
        try {
            return links.isLinkedNow(repo, digest);
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Whether the repository may serve a manifest Gantry holds: it is linked,
     * or its upstream confirms with a HEAD that the repository has it (then
     * it is linked). Never fetches a body; false for a manifest not stored
     * here, and when the upstream cannot confirm (unknown there, or unreachable).
     */
    CompletableFuture<Boolean> holds(Repository repo, Digest digest) {
        return links.isLinked(repo, digest).thenCompose(linked -> linked
                ? CompletableFuture.completedFuture(true)
                : manifests.get(digest).thenCompose(stored -> stored.isEmpty()
                        ? CompletableFuture.completedFuture(false)
                        : authorize(repo, stored.get()).handle((v, e) -> e == null)));
    }

    private CompletableFuture<StoredManifest> fetchByDigest(Repository repo, Digest digest) {
        events.manifestFetching(repo);
        return upstream.getManifest(repo.upstream(), repo.name().toString(), digest.toString(), repo.asksPeers())
                .exceptionallyCompose(e -> CompletableFuture.failedFuture(
                        UpstreamErrors.map(e, repo, ErrorCode.MANIFEST_UNKNOWN, "manifest " + digest)))
                .thenCompose(fetched -> {
                    if (!digest.matches(fetched.body())) {
                        return CompletableFuture.failedFuture(new RegistryException(ErrorCode.MANIFEST_INVALID, 502,
                                repo.namespace() + " served a manifest that does not match " + digest + "; not cached",
                                Map.of(), null));
                    }
                    return store(repo, digest, fetched);
                });
    }

    // ---- by tag -----------------------------------------------------------------------------

    private CompletableFuture<ManifestResult> byTag(Repository repo, String tag) {
        String key = repo + ":" + tag;
        if (notFound.getIfPresent(key) != null) {
            return CompletableFuture.failedFuture(new RegistryException(ErrorCode.MANIFEST_UNKNOWN,
                    "manifest " + tag + " not found at " + repo.namespace() + " (remembered)"));
        }
        return tags.get(repo, tag).thenCompose(record -> {
            record.ifPresent(r -> noteUpdate(repo, r.changedAt()));
            if (record.isPresent() && isFresh(record.get())) {
                return manifests.get(record.get().parsedDigest()).thenCompose(m -> m.isPresent()
                        ? CompletableFuture.completedFuture(result(m.get(), CacheOutcome.HIT, null))
                        : byTag.run(key, () -> revalidate(repo, tag, Optional.empty())));
            }
            // Another replica may have revalidated this tag a moment ago: look at the shared record first.
            return byTag.run(key, () -> tags.getLatest(repo, tag).thenCompose(latest -> {
                if (latest.isPresent() && isFresh(latest.get())) {
                    return manifests.get(latest.get().parsedDigest()).thenCompose(m -> m.isPresent()
                            ? CompletableFuture.completedFuture(result(m.get(), CacheOutcome.HIT, null))
                            : revalidate(repo, tag, latest));
                }
                return revalidate(repo, tag, latest.isPresent() ? latest : record);
            }));
        });
    }

    private boolean isFresh(TagRecord r) {
        return r.checkedAt() != null && clock.instant().isBefore(r.checkedAt().plus(tagTtl));
    }

    /**
     * Asks upstream about a tag: HEAD first; GET only if the digest changed
     * or is unknown. Falls back to the last good manifest when upstream is
     * unwell, and does not even ask while it said to back off.
     */
    private CompletableFuture<ManifestResult> revalidate(Repository repo, String tag, Optional<TagRecord> known) {
        return (known.isPresent() ? manifests.get(known.get().parsedDigest()) : CompletableFuture.completedFuture(Optional.<StoredManifest>empty()))
                .thenCompose(last -> revalidate(repo, tag, known, last));
    }

    private CompletableFuture<ManifestResult> revalidate(Repository repo, String tag, Optional<TagRecord> known,
                                                         Optional<StoredManifest> last) {
        if (last.isPresent() && repo.upstream().rateLimit().backingOff()) {
            return CompletableFuture.completedFuture(result(last.get(), CacheOutcome.STALE, "rate-limited"));
        }
        // With nothing cached a HEAD would only add a round trip: ask for the body straight away.
        CompletableFuture<ManifestResult> fresh = last.isEmpty()
                ? fetchTag(repo, tag, null)
                : upstream.headManifest(repo.upstream(), repo.name().toString(), tag).thenCompose(head -> {
                    if (last.isPresent() && last.get().digest().equals(head.digest())) {
                        TagRecord confirmed = known.get().checked(clock.instant());
                        return tags.put(repo, tag, confirmed).thenApply(v -> result(last.get(), CacheOutcome.REVALIDATED, null));
                    }
                    return fetchTag(repo, tag, head.digest());
                });
        return fresh.exceptionallyCompose(e -> {
            if (UpstreamErrors.isNotFound(e)) {
                notFound.put(repo + ":" + tag, Boolean.TRUE);
                tags.delete(repo, tag);
                return CompletableFuture.failedFuture(new RegistryException(ErrorCode.MANIFEST_UNKNOWN,
                        "manifest " + tag + " not found at " + repo.namespace()));
            }
            if (last.isPresent() && UpstreamErrors.isTransient(e)) {
                String reason = UpstreamErrors.reason(e);
                log.warn("serving stale {}:{} ({}): {}", repo, tag, reason, UpstreamErrors.unwrap(e).getMessage());
                return CompletableFuture.completedFuture(result(last.get(), CacheOutcome.STALE, reason));
            }
            return CompletableFuture.failedFuture(UpstreamErrors.map(e, repo, ErrorCode.MANIFEST_UNKNOWN, "manifest " + tag));
        });
    }

    private CompletableFuture<ManifestResult> fetchTag(Repository repo, String tag, Digest advertised) {
        events.manifestFetching(repo);
        return upstream.getManifest(repo.upstream(), repo.name().toString(), tag, repo.asksPeers()).thenCompose(fetched -> {
            Digest actual = Digest.sha256(fetched.body());
            Digest claimed = fetched.digestHeader() != null ? fetched.digestHeader() : advertised;
            if (claimed != null && claimed.algorithm().equals("sha256") && !claimed.equals(actual)) {
                return CompletableFuture.failedFuture(new RegistryException(ErrorCode.MANIFEST_INVALID, 502,
                        repo.namespace() + " served " + tag + " with digest " + actual + " but announced " + claimed
                                + "; not cached", Map.of(), null));
            }
            Digest digest = claimed != null && !claimed.algorithm().equals("sha256") && claimed.matches(fetched.body())
                    ? claimed : actual;
            return store(repo, digest, fetched).thenCompose(m -> {
                Instant now = clock.instant();
                if (fetched.staleReason() != null) {
                    return staleFromOwner(repo, tag, m, fetched.staleReason());
                }
                return tags.get(repo, tag).thenCompose(previous -> {
                    Instant changedAt = previous.isPresent() && previous.get().digest().equals(digest.toString())
                            ? previous.get().changedAt() : now;
                    noteUpdate(repo, changedAt);
                    return tags.put(repo, tag, new TagRecord(digest.toString(), m.mediaType(), now, changedAt),
                            fetched.viaFleetPeer());
                }).thenApply(v -> result(m, CacheOutcome.MISS, null));
            });
        });
    }

    /**
     * The tag's owner served its manifest stale (its upstream could not be asked): served stale here too, and
     * the tag not marked checked, so the next request asks again. Only where this replica holds no record of
     * the tag does it keep one, as never checked, to serve meanwhile.
     */
    private CompletableFuture<ManifestResult> staleFromOwner(Repository repo, String tag, StoredManifest m, String reason) {
        return tags.get(repo, tag).thenCompose(previous -> previous.isPresent()
                ? CompletableFuture.<Void>completedFuture(null)
                : tags.put(repo, tag, new TagRecord(m.digest().toString(), m.mediaType(), Instant.EPOCH, clock.instant()), true))
                .thenApply(v -> result(m, CacheOutcome.STALE, reason));
    }

    // ---- shared -----------------------------------------------------------------------------

    /**
     * Validates, caches and links a manifest fetched (and digest-checked)
     * from upstream. Both hold in memory at once and are written behind: the
     * response does not wait for the disk (or S3).
     */
    private CompletableFuture<StoredManifest> store(Repository repo, Digest digest, FetchedManifest fetched) {
        Manifest parsed;
        try {
            parsed = Manifest.parse(fetched.body(), fetched.mediaType());
        } catch (RegistryException e) {
            return CompletableFuture.failedFuture(new RegistryException(ErrorCode.MANIFEST_INVALID, 502,
                    repo.namespace() + " served an invalid manifest for " + repo.name() + ": " + e.getMessage(),
                    Map.of(), e));
        }
        StoredManifest m = new StoredManifest(digest, parsed.mediaType(), fetched.body());
        manifests.cache(m, fetched.viaFleetPeer());
        List<Digest> named = named(m, parsed);
        if (fetched.viaFleetPeer()) {
            ownerRecords.checkLater(repo, m, named);
        }
        // From the fleet member that owns it: that member has written these links to the shared tier.
        return links.link(repo, named, fetched.viaFleetPeer()).thenApply(v -> m);
    }

    /** Links the manifest and everything it names to the repository. */
    private CompletableFuture<Void> linkManifest(Repository repo, StoredManifest m) {
        return links.link(repo, named(m, Manifest.parse(m.body(), m.mediaType())), false);
    }

    /**
     * What a manifest opens to its repository: itself and the blobs it names. Not the manifests an index lists:
     * an upstream may accept an index whose children it does not hold, and that would open any manifest Gantry
     * holds to whoever knows its digest. A child is linked when the repository fetches it, or when its upstream
     * confirms it ({@link #authorize}). (Blobs are safe to take from a manifest: an upstream refuses a manifest
     * whose blobs the repository lacks, and uploading a blob takes its bytes.)
     */
    private static List<Digest> named(StoredManifest m, Manifest parsed) {
        List<Digest> digests = new ArrayList<>();
        digests.add(m.digest());
        for (Descriptor d : parsed.blobs()) {
            digests.add(d.parsedDigest());
        }
        return digests;
    }

    private static ManifestResult result(StoredManifest m, CacheOutcome outcome, String staleReason) {
        return new ManifestResult(m.body(), m.mediaType(), m.digest(), outcome, staleReason);
    }
}
