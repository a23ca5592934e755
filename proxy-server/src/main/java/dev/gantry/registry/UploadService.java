package dev.gantry.registry;

import dev.gantry.content.BodyConsumer;
import dev.gantry.oci.Digest;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

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

    /**
     * What a request's {@code Content-Range} declared: its bytes start at
     * {@code start} of the blob and there are {@code length} of them.
     */
    record ChunkRange(long start, long length) {
    }

    /** Opens a session. */
    CompletableFuture<UploadState> start(Repository repository);

    /**
     * Links a blob another repository holds into this one; the caller has
     * been found allowed to read it there. Completes with false when it cannot
     * be mounted (the client then uploads it).
     */
    CompletableFuture<Boolean> mount(Repository repository, Digest digest, Repository from);

    /**
     * A mount that names no source: links the blob from some hosted repository
     * that holds it and that {@code readable} accepts (the caller may pull
     * there). Mirrored repositories are never sources. Completes with false
     * when there is none.
     */
    CompletableFuture<Boolean> mountFromAny(Repository repository, Digest digest, Predicate<Repository> readable);

    /** A session's state; fails (or throws) {@code BLOB_UPLOAD_UNKNOWN}. */
    CompletableFuture<UploadState> state(Repository repository, String id);

    /**
     * Appends a request body to a session.
     *
     * @param range what the request's {@code Content-Range} declared, or null: then the body goes at the end
     * @param done completes with the new state, or fails: {@code RANGE_INVALID} (416) for a chunk that does not
     *     start where the session stands, {@code SIZE_INVALID} for a body longer or shorter than {@code range};
     *     either way the session holds what it held before
     * @return the consumer to feed the body to
     */
    BodyConsumer append(Repository repository, String id, ChunkRange range, CompletableFuture<UploadState> done);

    /**
     * Appends a final body (possibly empty) and commits the blob as {@code digest}.
     *
     * @param range as for {@link #append}; refused the same way, before anything is appended
     * @param done completes with the digest once the blob is stored; fails with
     *     {@code DIGEST_INVALID} (the session is then gone) when the bytes do not match
     */
    BodyConsumer complete(Repository repository, String id, ChunkRange range, Digest digest, CompletableFuture<Digest> done);

    /**
     * Cancels a session: later requests on it are {@code BLOB_UPLOAD_UNKNOWN},
     * and what it received is deleted before the future completes. Throws
     * {@code BLOB_UPLOAD_UNKNOWN} for a session that does not exist.
     */
    CompletableFuture<Void> cancel(Repository repository, String id);
}
