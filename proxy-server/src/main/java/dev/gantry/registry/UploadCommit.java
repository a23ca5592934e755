package dev.gantry.registry;

import dev.gantry.oci.Digest;
import dev.gantry.oci.ErrorCode;
import dev.gantry.oci.RegistryException;
import dev.gantry.storage.DigestMismatchException;
import dev.gantry.storage.SpoolWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;

/**
 * The last step of every upload, wherever its session lived: the spooled
 * bytes become the blob only if they hash to the digest the client named,
 * are written to the shared tier where there is one (so every replica serves
 * the blob once the push is acknowledged), then the blob is linked into the
 * repository and listeners are told. A failed shared write fails the upload
 * with {@code UNAVAILABLE} and links nothing.
 */
public final class UploadCommit {

    private final RepositoryLinks links;
    private final BucketWrites writes;
    private volatile BiConsumer<Repository, Digest> committed = (r, d) -> { };

    public UploadCommit(RepositoryLinks links, BucketWrites writes) {
        this.links = links;
        this.writes = writes;
    }

    void onCommitted(BiConsumer<Repository, Digest> listener) {
        this.committed = listener;
    }

    /**
     * Commits {@code writer} as {@code digest}; blocks while it verifies. Fails
     * with {@code DIGEST_INVALID} (the writer discarded) when the bytes do not match.
     */
    CompletableFuture<Digest> commit(Repository repo, SpoolWriter writer, Digest digest) {
        try {
            writer.commitAs(digest);
        } catch (DigestMismatchException e) {
            return CompletableFuture.failedFuture(new RegistryException(ErrorCode.DIGEST_INVALID,
                    "uploaded content does not match " + digest + ": " + e.getMessage()));
        } catch (IOException e) {
            writer.abort();
            return CompletableFuture.failedFuture(new UncheckedIOException(e));
        }
        return shared(digest).thenCompose(v -> SharedWrites.acknowledged(links.link(repo, List.of(digest)))).thenApply(v -> {
            committed.accept(repo, digest);
            return digest;
        });
    }

    /** Completes {@code done} with the outcome of a {@link #commit(Repository, SpoolWriter, Digest)}, when it has one. */
    static void settle(CompletableFuture<Digest> outcome, CompletableFuture<Digest> done) {
        outcome.whenComplete((d, e) -> {
            if (e != null) {
                done.completeExceptionally(e);
            } else {
                done.complete(d);
            }
        });
    }

    /** Writes {@code digest}, which the disk tier holds, to the shared tier; fails with {@code UNAVAILABLE} if it cannot. */
    CompletableFuture<Void> shared(Digest digest) {
        return writes.writeThrough(digest).exceptionallyCompose(e -> CompletableFuture.failedFuture(new RegistryException(
                ErrorCode.UNAVAILABLE, 503, "blob " + digest + " could not be stored in the shared bucket, so other replicas"
                        + " could not serve it; nothing was committed, push it again: " + UpstreamErrors.unwrap(e),
                Map.of("Retry-After", "5"), UpstreamErrors.unwrap(e))));
    }
}
