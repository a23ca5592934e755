package dev.gantry.registry;

import dev.gantry.content.BodyConsumer;
import dev.gantry.oci.Digest;
import dev.gantry.oci.ErrorCode;
import dev.gantry.oci.RegistryException;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;
import java.util.function.Predicate;

/**
 * Uploads into hosted repositories: refuses mirrored ones, answers mounts
 * through {@link Mounts}, and keeps sessions where the storage puts them
 * ({@link UploadSessions}: this replica's disk, or the shared bucket).
 */
public final class Uploads implements UploadService {

    private final UploadSessions sessions;
    private final Mounts mounts;
    private final UploadCommit commit;

    public Uploads(UploadSessions sessions, Mounts mounts, UploadCommit commit) {
        this.sessions = sessions;
        this.mounts = mounts;
        this.commit = commit;
    }

    /** Told of every blob an upload committed to a repository (S3 replication, scanning). */
    public void onCommitted(BiConsumer<Repository, Digest> listener) {
        commit.onCommitted(listener);
    }

    @Override
    public CompletableFuture<UploadState> start(Repository repo) {
        requireHosted(repo);
        return sessions.start(repo);
    }

    @Override
    public CompletableFuture<Boolean> mount(Repository repo, Digest digest, Repository from) {
        requireHosted(repo);
        return mounts.mount(repo, digest, from);
    }

    @Override
    public CompletableFuture<Boolean> mountFromAny(Repository repo, Digest digest, Predicate<Repository> readable) {
        requireHosted(repo);
        return mounts.mountFromAny(repo, digest, readable);
    }

    @Override
    public CompletableFuture<UploadState> state(Repository repo, String id) {
        return sessions.state(repo, id);
    }

    @Override
    public BodyConsumer append(Repository repo, String id, ChunkRange range, CompletableFuture<UploadState> done) {
        return sessions.append(repo, id, range, done);
    }

    @Override
    public BodyConsumer complete(Repository repo, String id, ChunkRange range, Digest digest, CompletableFuture<Digest> done) {
        return sessions.complete(repo, id, range, digest, done);
    }

    @Override
    public CompletableFuture<Void> cancel(Repository repo, String id) {
        return sessions.cancel(repo, id);
    }

    int expire() {
        return sessions.expire();
    }

    int open() {
        return sessions.open();
    }

    private static void requireHosted(Repository repo) {
        if (!repo.isHosted()) {
            throw new RegistryException(ErrorCode.UNSUPPORTED, repo.requestedName() + " is mirrored read-only from "
                    + repo.namespace() + "; pushes go to hosted namespaces");
        }
    }
}
