package dev.gantry.registry;

import dev.gantry.content.BodyConsumer;
import dev.gantry.oci.Digest;
import dev.gantry.registry.UploadService.ChunkRange;
import dev.gantry.registry.UploadService.UploadState;
import dev.gantry.storage.LocalTier;
import dev.gantry.storage.SpoolWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Upload sessions kept on this replica (no shared tier). Each session spools to the disk
 * tier while hashing; completing it commits the blob only if it hashes to the
 * digest the client names (else the session is discarded). A chunk must start
 * where the session stands (a repeated or out-of-order chunk is a 416) and be
 * as long as its {@code Content-Range} says (else {@code SIZE_INVALID}); a
 * refused chunk leaves the session as it was. Sessions idle longer than the
 * expiry are discarded by {@link #expire()}.
 */
public final class LocalUploads implements UploadSessions {

    private static final Logger log = LoggerFactory.getLogger(LocalUploads.class);

    private final LocalTier disk;
    private final UploadCommit commit;
    private final Executor blocking;
    private final Clock clock;
    private final Duration expiry;
    private final Map<String, Session> sessions = new ConcurrentHashMap<>();

    private final class Session {
        final String id;
        final Repository repo;
        final SpoolWriter writer;
        volatile long lastUsed;
        boolean busy;

        Session(String id, Repository repo, SpoolWriter writer) {
            this.id = id;
            this.repo = repo;
            this.writer = writer;
            this.lastUsed = clock.millis();
        }
    }

    public LocalUploads(LocalTier disk, UploadCommit commit, Executor blocking, Clock clock, Duration expiry) {
        this.disk = disk;
        this.commit = commit;
        this.blocking = blocking;
        this.clock = clock;
        this.expiry = expiry;
    }

    @Override
    public CompletableFuture<UploadState> start(Repository repo) {
        return BlockingIo.supply(blocking, () -> {
            String id = UUID.randomUUID().toString();
            sessions.put(id, new Session(id, repo, disk.newUpload()));
            return new UploadState(id, 0);
        });
    }

    @Override
    public CompletableFuture<UploadState> state(Repository repo, String id) {
        Session s = session(repo, id);
        s.lastUsed = clock.millis();
        return CompletableFuture.completedFuture(new UploadState(id, s.writer.written()));
    }

    @Override
    public BodyConsumer append(Repository repo, String id, ChunkRange range, CompletableFuture<UploadState> done) {
        Session s = claim(repo, id, range);
        return new Appender(s, range, () -> {
            release(s);
            done.complete(new UploadState(id, s.writer.written()));
        }, e -> {
            release(s);
            done.completeExceptionally(e);
        });
    }

    @Override
    public BodyConsumer complete(Repository repo, String id, ChunkRange range, Digest digest, CompletableFuture<Digest> done) {
        Session s = claim(repo, id, range);
        return new Appender(s, range, () -> blocking.execute(() -> {
            sessions.remove(id);
            try {
                UploadCommit.settle(commit.commit(repo, s.writer, digest), done);
            } catch (RuntimeException e) {
                done.completeExceptionally(e); // a fault of the store: an error, not a request left unanswered
            }
        }), e -> {
            release(s);
            done.completeExceptionally(e);
        });
    }

    @Override
    public CompletableFuture<Void> cancel(Repository repo, String id) {
        Session s = session(repo, id);
        synchronized (s) {
            if (s.busy) {
                // A PATCH or PUT is writing it: aborting under the writer would fail that request with a 500.
                throw UploadRefusals.busy(id, s.writer.written());
            }
            sessions.remove(id);
        }
        return CompletableFuture.runAsync(s.writer::abort, blocking);
    }

    /**
     * The session, marked busy for one request, if that request may write to
     * it: no other request is writing, and its chunk starts where the session
     * stands. Refusals are 416 with the session's {@code Range}.
     */
    private Session claim(Repository repo, String id, ChunkRange chunk) {
        Session s = session(repo, id);
        synchronized (s) {
            if (sessions.get(id) != s) {
                throw UploadRefusals.unknown(id); // cancelled since it was looked up
            }
            long held = s.writer.written();
            if (s.busy) {
                throw UploadRefusals.busy(id, held);
            }
            if (chunk != null && chunk.start() != held) {
                throw UploadRefusals.outOfOrder(id, chunk.start(), held);
            }
            s.busy = true;
        }
        return s;
    }

    @Override
    public int expire() {
        long cutoff = clock.millis() - expiry.toMillis();
        int n = 0;
        for (Session s : sessions.values()) {
            if (s.lastUsed < cutoff && !s.busy && sessions.remove(s.id, s)) {
                s.writer.abort();
                n++;
            }
        }
        if (n > 0) {
            log.info("discarded {} upload sessions idle for more than {}", n, expiry);
        }
        return n;
    }

    @Override
    public int open() {
        return sessions.size();
    }

    private void release(Session s) {
        synchronized (s) {
            s.busy = false;
        }
        s.lastUsed = clock.millis();
    }

    private Session session(Repository repo, String id) {
        Session s = UploadRefusals.wellFormed(id) ? sessions.get(id) : null;
        if (s == null || !s.repo.toString().equals(repo.toString())) {
            throw UploadRefusals.unknown(id);
        }
        return s;
    }

    /**
     * Writes a request body into a session; a body that turns out longer or
     * shorter than its declared range is cut back off the session and refused.
     */
    private final class Appender extends ChunkBody {
        private final Session session;
        private final long startedAt;
        private final Runnable onEnd;
        private final Consumer<Throwable> onError;

        Appender(Session session, ChunkRange range, Runnable onEnd, Consumer<Throwable> onError) {
            super(range, session.writer, blocking);
            this.session = session;
            this.startedAt = session.writer.written();
            this.onEnd = onEnd;
            this.onError = onError;
        }

        @Override
        public void onEnd() {
            if (asDeclared()) {
                onEnd.run();
                return;
            }
            blocking.execute(() -> onError.accept(undo()));
        }

        @Override
        public void onError(Throwable cause) {
            onError.accept(cause);
        }

        @Override
        RuntimeException tooLong() {
            return undo();
        }

        /** Takes this request's bytes back off the session; the refusal to answer with. Blocks. */
        private RuntimeException undo() {
            try {
                session.writer.truncate(startedAt);
            } catch (IOException e) {
                return new UncheckedIOException(e);
            }
            return sizeInvalid();
        }
    }
}
