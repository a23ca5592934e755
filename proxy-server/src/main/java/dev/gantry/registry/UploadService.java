package dev.gantry.registry;

import dev.gantry.content.BodyConsumer;
import dev.gantry.oci.Digest;
import java.util.concurrent.CompletableFuture;

/**
 * Blob uploads into hosted repositories: sessions that receive the blob's
 * bytes in one request or in chunks, and commit it only if it hashes to the
 * digest named at the end. Bodies are streamed through a {@link BodyConsumer}
 * the HTTP layer feeds with back-pressure.
 */
public interface UploadService {

    /** Where an upload stands: its id and how many bytes it holds. */
    record UploadState(String id, long offset) {
    }

    /** Opens a session. */
    CompletableFuture<UploadState> start(Repository repository);

    /**
     * Links a blob another repository holds into this one, if the caller may
     * read it there; completes with false when it cannot be mounted (the
     * client then uploads it).
     */
    CompletableFuture<Boolean> mount(Repository repository, Digest digest, Repository from);

    /** A session's state; fails with {@code BLOB_UPLOAD_UNKNOWN}. */
    UploadState state(Repository repository, String id);

    /**
     * Appends a request body to a session.
     *
     * @param rangeStart where the client says the chunk starts ({@code Content-Range}), or -1
     * @param done completes with the new state, or fails ({@code RANGE_INVALID} for a chunk out of order)
     * @return the consumer to feed the body to
     */
    BodyConsumer append(Repository repository, String id, long rangeStart, CompletableFuture<UploadState> done);

    /**
     * Appends a final body (possibly empty) and commits the blob as {@code digest}.
     *
     * @param done completes with the digest once the blob is stored; fails with
     *     {@code DIGEST_INVALID} (the session is then gone) when the bytes do not match
     */
    BodyConsumer complete(Repository repository, String id, Digest digest, CompletableFuture<Digest> done);

    /** Cancels a session; fails with {@code BLOB_UPLOAD_UNKNOWN}. */
    void cancel(Repository repository, String id);
}
