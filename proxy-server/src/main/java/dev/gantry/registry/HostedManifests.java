package dev.gantry.registry;

import dev.gantry.oci.Descriptor;
import dev.gantry.oci.Digest;
import dev.gantry.oci.ErrorCode;
import dev.gantry.oci.Manifest;
import dev.gantry.oci.MediaTypes;
import dev.gantry.oci.Reference;
import dev.gantry.oci.RegistryException;
import dev.gantry.registry.ManifestStore.StoredManifest;
import dev.gantry.storage.MetadataStore;
import dev.gantry.storage.StorageLayout;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * Manifests of hosted repositories: pushed, checked, stored, served and
 * deleted here. A push is accepted only if everything it references is
 * already in the repository (blobs uploaded or mounted, child manifests
 * pushed) with the size its descriptor names, so a stored manifest is always
 * complete. A push by digest may name more tags; they are checked before
 * anything is stored.
 */
public final class HostedManifests {

    private final ManifestStore manifests;
    private final TagStore tags;
    private final RepositoryLinks links;
    private final ReferrerStore referrers;
    private final MetadataStore meta;
    private final PushedReferences references;
    private final Executor blocking;
    private final Clock clock;
    private final BlobEventHub events;

    public HostedManifests(ManifestStore manifests, TagStore tags, RepositoryLinks links, ReferrerStore referrers,
                    MetadataStore meta, PushedReferences references, Executor blocking, Clock clock, BlobEventHub events) {
        this.references = references;
        this.events = events;
        this.manifests = manifests;
        this.tags = tags;
        this.links = links;
        this.referrers = referrers;
        this.meta = meta;
        this.blocking = blocking;
        this.clock = clock;
    }

    /** Whether the repository holds {@code digest}: it was pushed or mounted there. */
    CompletableFuture<Boolean> holds(Repository repo, Digest digest) {
        return links.isLinked(repo, digest);
    }

    CompletableFuture<ManifestResult> get(Repository repo, Reference reference, List<String> accepted) {
        CompletableFuture<ManifestResult> found = reference.isDigest()
                ? byDigest(repo, reference.digest())
                : tags.get(repo, reference.tag()).thenCompose(record -> {
                    if (record.isEmpty()) {
                        return CompletableFuture.failedFuture(new RegistryException(ErrorCode.MANIFEST_UNKNOWN,
                                "manifest " + reference.tag() + " not found in " + repo.name()));
                    }
                    return byDigest(repo, record.get().parsedDigest());
                });
        return found.thenCompose(m -> ManifestNegotiation.negotiate(m, accepted, !reference.isDigest(), d -> byDigest(repo, d)));
    }

    private CompletableFuture<ManifestResult> byDigest(Repository repo, Digest digest) {
        return links.isLinked(repo, digest).thenCompose(linked -> !linked
                ? CompletableFuture.failedFuture(unknown(repo, digest.toString()))
                : manifests.get(digest).thenApply(m -> m.map(s -> new ManifestResult(s.body(), s.mediaType(), s.digest(), CacheOutcome.HIT, null))
                        .orElseThrow(() -> unknown(repo, digest.toString()))));
    }

    private static RegistryException unknown(Repository repo, String reference) {
        return new RegistryException(ErrorCode.MANIFEST_UNKNOWN, "manifest " + reference + " not found in " + repo.name());
    }

    CompletableFuture<ManifestService.PutResult> put(Repository repo, Reference reference, List<String> extraTags,
                                                     String contentType, byte[] body) {
        Manifest parsed;
        List<String> tagged = new ArrayList<>();
        try {
            if (contentType == null || !MediaTypes.isManifest(contentType)) {
                throw new RegistryException(ErrorCode.MANIFEST_INVALID, "Content-Type must be a manifest media type ("
                        + String.join(", ", MediaTypes.MANIFEST_TYPES) + "), got " + (contentType == null ? "none" : contentType));
            }
            parsed = Manifest.parse(body, contentType);
            for (String tag : extraTags) {
                if (!Reference.isValidTag(tag)) {
                    throw new RegistryException(ErrorCode.MANIFEST_INVALID, "tag parameter '" + printable(tag)
                            + "' is not a tag: tags match [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}");
                }
                if (!tagged.contains(tag)) {
                    tagged.add(tag);
                }
            }
        } catch (RegistryException e) {
            return CompletableFuture.failedFuture(e);
        }
        Digest digest = reference.isDigest() && !reference.digest().algorithm().equals("sha256")
                ? reference.digest() : Digest.sha256(body);
        if (reference.isDigest() && !reference.digest().matches(body)) {
            return CompletableFuture.failedFuture(new RegistryException(ErrorCode.DIGEST_INVALID,
                    "manifest body does not hash to " + reference.digest()));
        }
        return references.check(repo, parsed).thenCompose(checked -> {
            StoredManifest m = new StoredManifest(digest, parsed.mediaType(), body);
            Instant now = clock.instant();
            CompletableFuture<Void> stored = manifests.push(m)
                    .thenCompose(v -> links.link(repo, List.of(digest)))
                    .thenCompose(v -> markRepository(repo));
            if (!reference.isDigest()) {
                stored = stored.thenCompose(v -> tags.put(repo, reference.tag(), new TagRecord(digest.toString(), m.mediaType(), now, now)));
            }
            for (String tag : tagged) {
                stored = stored.thenCompose(v -> tags.put(repo, tag, new TagRecord(digest.toString(), m.mediaType(), now, now)));
            }
            Digest subject = parsed.subject() != null ? parsed.subject().parsedDigest() : null;
            if (subject != null) {
                Descriptor self = ReferrerStore.describe(digest, parsed.mediaType(), body.length, parsed);
                stored = stored.thenCompose(v -> referrers.add(repo, subject, self));
            }
            return SharedWrites.acknowledged(stored).thenApply(v -> {
                events.manifestPushed(repo, digest, parsed);
                return new ManifestService.PutResult(digest, subject, tagged);
            });
        });
    }

    private static String printable(String text) {
        String t = text.length() > 64 ? text.substring(0, 64) + "…" : text;
        return t.replaceAll("\\p{Cntrl}", "?");
    }

    private CompletableFuture<Void> markRepository(Repository repo) {
        return BlockingIo.run(blocking, () -> {
            String key = StorageLayout.catalogKey(repo.name());
            if (!meta.exists(key)) {
                meta.putShared(key, new byte[0]);
            }
        });
    }

    CompletableFuture<Void> delete(Repository repo, Reference reference) {
        return SharedWrites.acknowledged(deleteStored(repo, reference));
    }

    private CompletableFuture<Void> deleteStored(Repository repo, Reference reference) {
        if (!reference.isDigest()) {
            if (!repo.hostedConfig().allowTagDelete()) {
                return CompletableFuture.failedFuture(new RegistryException(ErrorCode.UNSUPPORTED,
                        "deleting tags is disabled for " + repo.hostedConfig().prefix() + "; delete the manifest by digest"));
            }
            return tags.get(repo, reference.tag()).thenCompose(r -> r.isEmpty()
                    ? CompletableFuture.failedFuture(unknown(repo, reference.tag()))
                    : tags.delete(repo, reference.tag()));
        }
        Digest digest = reference.digest();
        return byDigest(repo, digest).thenCompose(m -> {
            Manifest parsed = Manifest.parse(m.body(), m.mediaType());
            CompletableFuture<Void> done = links.unlink(repo, digest).thenCompose(v -> untag(repo, digest));
            if (parsed.subject() != null) {
                done = done.thenCompose(v -> referrers.remove(repo, parsed.subject().parsedDigest(), digest));
            }
            return done;
        });
    }

    /** Removes every tag of the repository that points at {@code digest}. */
    private CompletableFuture<Void> untag(Repository repo, Digest digest) {
        return tags.list(repo).thenCompose(names -> {
            CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
            for (String tag : names) {
                chain = chain.thenCompose(v -> tags.get(repo, tag)).thenCompose(r -> r.isPresent() && r.get().digest().equals(digest.toString())
                        ? tags.delete(repo, tag) : CompletableFuture.completedFuture(null));
            }
            return chain;
        });
    }

    CompletableFuture<TagList> tags(Repository repo, Integer n, String last) {
        return tags.list(repo).thenApply(all -> PullThroughTags.page(repo, all, n, last, CacheOutcome.HIT));
    }

}
