package dev.gantry.registry;

import dev.gantry.content.BodyConsumer;
import dev.gantry.oci.Digest;
import dev.gantry.registry.UploadService.ChunkRange;
import dev.gantry.registry.UploadService.UploadState;
import java.util.concurrent.CompletableFuture;

/**
 * Where the upload sessions of hosted repositories live: on this replica
 * ({@link LocalUploads}) or in the shared bucket, where any replica may
 * continue them ({@link SharedUploads}). Same contract as the matching
 * methods of {@link UploadService}; the repository is already known to be
 * hosted. An unknown session, or one of another repository, is
 * {@code BLOB_UPLOAD_UNKNOWN}.
 */
public interface UploadSessions {

    CompletableFuture<UploadState> start(Repository repo);

    CompletableFuture<UploadState> state(Repository repo, String id);

    BodyConsumer append(Repository repo, String id, ChunkRange range, CompletableFuture<UploadState> done);

    BodyConsumer complete(Repository repo, String id, ChunkRange range, Digest digest, CompletableFuture<Digest> done);

    CompletableFuture<Void> cancel(Repository repo, String id);

    /** Discards sessions idle longer than the expiry; returns how many. Blocks. */
    int expire();

    /** Sessions open on this replica (for the status page). */
    int open();
}
