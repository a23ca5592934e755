package dev.gantry.registry;

import dev.gantry.content.BodyConsumer;
import dev.gantry.oci.Digest;
import dev.gantry.oci.ErrorCode;
import dev.gantry.oci.RegistryException;
import dev.gantry.registry.UploadService.ChunkRange;
import dev.gantry.registry.UploadService.UploadState;
import dev.gantry.storage.BlobWriter;
import dev.gantry.storage.BrokenUploadException;
import dev.gantry.storage.LocalTier;
import dev.gantry.storage.S3UploadSessions;
import dev.gantry.storage.S3UploadSessions.Session;
import dev.gantry.storage.SpoolWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Upload sessions kept in the shared bucket ({@link S3UploadSessions}), so a
 * push may reach a different replica with each request. A request body is
 * first spooled to this replica's disk, whole; only then is the session
 * looked up, so a session no replica knows is answered
 * {@code BLOB_UPLOAD_UNKNOWN} after the body was read, on a connection that
 * stays usable. A chunk is then checked like {@link LocalUploads} checks it
 * (starts where the session stands, as long as declared) and stored in the
 * bucket. Completing reads the chunks back into a local spool that hashes
 * them: the blob is committed only if it matches the client's digest.
 *
 * <p>A session is idle, and any replica's sweep deletes it, once nothing of
 * it was written for the expiry. A replica still receiving a chunk for it
 * renews its lease at each of its own sweeps, so a chunk that takes longer
 * than the expiry to arrive does not find its session gone.
 */
public final class SharedUploads implements UploadSessions {

    private static final Logger log = LoggerFactory.getLogger(SharedUploads.class);

    private final S3UploadSessions store;
    private final LocalTier disk;
    private final UploadCommit commit;
    private final Executor blocking;
    private final Clock clock;
    private final Duration expiry;
    /** Sessions a request on this replica is writing to right now. */
    private final Set<String> busy = ConcurrentHashMap.newKeySet();
    /** Sessions this replica receives a request body for right now, and how many such bodies. */
    private final Map<String, Integer> receiving = new ConcurrentHashMap<>();

    public SharedUploads(S3UploadSessions store, LocalTier disk, UploadCommit commit, Executor blocking, Clock clock, Duration expiry) {
        this.store = store;
        this.disk = disk;
        this.commit = commit;
        this.blocking = blocking;
        this.clock = clock;
        this.expiry = expiry;
    }

    @Override
    public CompletableFuture<UploadState> start(Repository repo) {
        return SharedWrites.acknowledged(CompletableFuture.supplyAsync(() -> {
            String id = UUID.randomUUID().toString();
            store.create(id, repo.toString());
            return new UploadState(id, 0);
        }, blocking));
    }

    @Override
    public CompletableFuture<UploadState> state(Repository repo, String id) {
        return SharedWrites.acknowledged(CompletableFuture.supplyAsync(() -> new UploadState(id, find(repo, id).offset()), blocking));
    }

    @Override
    public BodyConsumer append(Repository repo, String id, ChunkRange range, CompletableFuture<UploadState> done) {
        return new SpooledBody(id, range, done, (body, received) -> {
            Session s = claim(repo, id, range);
            try {
                if (received > 0) {
                    s = store.append(s, body.path());
                }
            } finally {
                busy.remove(id);
            }
            done.complete(new UploadState(id, s.offset()));
        });
    }

    /**
     * Completes a session: its chunks and this request's body are read back into a local spool,
     * which becomes the blob only if it hashes to {@code digest}. The session is deleted once the
     * push is over — committed, or refused as not matching its digest, as the spec says — and kept
     * when the commit could not be finished (the bucket refused the blob: 503), so that the
     * client's retry of this same PUT, on any replica, completes it instead of meeting
     * {@code BLOB_UPLOAD_UNKNOWN} and pushing the whole blob again.
     */
    @Override
    public BodyConsumer complete(Repository repo, String id, ChunkRange range, Digest digest, CompletableFuture<Digest> done) {
        return new SpooledBody(id, range, done, (body, received) -> {
            Session s = claim(repo, id, range);
            CompletableFuture<Digest> committed;
            try {
                SpoolWriter blob = disk.newUpload();
                try {
                    store.copyTo(s, blob);
                    copy(body, blob);
                } catch (BrokenUploadException e) {
                    blob.abort();
                    // No retry of this PUT can complete it: the push starts over, on a fresh session.
                    discard(id);
                    throw new RegistryException(ErrorCode.BLOB_UPLOAD_INVALID, e.getMessage()
                            + "; start the upload again", e);
                } catch (IOException | RuntimeException e) {
                    blob.abort();
                    throw e;
                }
                committed = commit.commit(repo, blob, digest);
            } catch (IOException | RuntimeException e) {
                busy.remove(id);
                throw e;
            }
            // The session's delete blocks on the bucket: never on the thread that completed the commit
            // (the S3 client's own, when the last write finished after this line). While the commit runs
            // the session is busy on this replica only: a client's retry of this PUT on another replica
            // would commit the same digest again, which is harmless (content-addressed, idempotent).
            UploadCommit.settle(committed.whenCompleteAsync((d, e) -> {
                try {
                    if (e == null || UploadRefusals.isDigestInvalid(e)) {
                        discard(id);
                    }
                } finally {
                    busy.remove(id);
                }
            }, blocking), done);
        });
    }

    /**
     * Deletes a finished session from the bucket. The push's outcome stands whether or not this
     * works: a session left behind is deleted by {@link #expire()} once idle for the expiry.
     */
    private void discard(String id) {
        try {
            store.delete(id);
        } catch (RuntimeException e) {
            log.warn("upload session {} is finished but could not be deleted from the bucket now ({}); it is deleted"
                    + " once idle for {}", id, e.toString(), expiry);
        }
    }

    @Override
    public CompletableFuture<Void> cancel(Repository repo, String id) {
        return SharedWrites.acknowledged(CompletableFuture.runAsync(() -> {
            find(repo, id);
            store.delete(id);
        }, blocking));
    }

    @Override
    public int expire() {
        for (String id : receiving.keySet()) {
            try {
                store.lease(id);
            } catch (RuntimeException e) {
                log.debug("cannot renew the lease of upload session {}; the next sweep tries again: {}", id, e.toString());
            }
        }
        int n = store.expire(Instant.ofEpochMilli(clock.millis()).minus(expiry),
                id -> receiving.containsKey(id) || busy.contains(id));
        if (n > 0) {
            log.info("discarded {} shared upload sessions idle for more than {}", n, expiry);
        }
        return n;
    }

    @Override
    public int open() {
        return busy.size();
    }

    private Session find(Repository repo, String id) {
        if (!UploadRefusals.wellFormed(id)) {
            throw UploadRefusals.unknown(id);
        }
        return store.find(id).filter(s -> s.repository().equals(repo.toString())).orElseThrow(() -> UploadRefusals.unknown(id));
    }

    /** The session, marked busy on this replica, if this request's chunk may go on it; else 404 or 416. Blocks. */
    private Session claim(Repository repo, String id, ChunkRange chunk) {
        Session s = find(repo, id);
        if (chunk != null && chunk.start() != s.offset()) {
            throw UploadRefusals.outOfOrder(id, chunk.start(), s.offset());
        }
        if (!busy.add(id)) {
            throw UploadRefusals.busy(id, s.offset());
        }
        return s;
    }

    private SpoolWriter newSpool() {
        try {
            return disk.newUpload();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void copy(SpoolWriter from, BlobWriter to) throws IOException {
        try (FileChannel ch = FileChannel.open(from.path(), StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocate(1 << 16);
            while (ch.read(buf) >= 0) {
                buf.flip();
                to.write(buf);
                buf.clear();
            }
        }
    }

    /** What to do with a body spooled whole, on a blocking thread; may throw (the request then fails). */
    private interface Spooled {
        void accept(SpoolWriter body, long received) throws IOException;
    }

    /**
     * Spools a request body to this replica's disk, then hands it over. A body
     * longer or shorter than its declared range is refused with
     * {@code SIZE_INVALID}. The spool is deleted once handled.
     */
    private final class SpooledBody extends ChunkBody {
        private final String id;
        private final CompletableFuture<?> done;
        private final Spooled then;

        SpooledBody(String id, ChunkRange range, CompletableFuture<?> done, Spooled then) {
            super(range, newSpool(), blocking);
            this.id = id;
            this.done = done;
            this.then = then;
            receiving.merge(id, 1, Integer::sum);
        }

        private void handedOver() {
            receiving.computeIfPresent(id, (k, n) -> n == 1 ? null : n - 1);
        }

        @Override
        public void onEnd() {
            blocking.execute(() -> {
                try {
                    if (!asDeclared()) {
                        throw sizeInvalid();
                    }
                    then.accept(spool(), received());
                } catch (IOException e) {
                    done.completeExceptionally(SharedWrites.mapped(new UncheckedIOException(e)));
                } catch (RuntimeException e) {
                    done.completeExceptionally(SharedWrites.mapped(e));
                } finally {
                    spool().abort();
                    handedOver();
                }
            });
        }

        @Override
        public void onError(Throwable cause) {
            spool().abort();
            handedOver();
            done.completeExceptionally(cause);
        }

        @Override
        RuntimeException tooLong() {
            return sizeInvalid();
        }
    }
}
