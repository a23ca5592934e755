package dev.gantry.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Upload sessions of hosted repositories kept in the shared bucket, so that
 * the requests of one push (POST, each PATCH, PUT) may each reach a different
 * replica. Layout, under the bucket's prefix:
 *
 * <pre>
 * uploads/&lt;id&gt;/state               the repository, then the sizes of the chunks received, in order
 * uploads/&lt;id&gt;/chunks/&lt;offset&gt;     the chunk that starts at that offset (20 digits)
 * uploads/&lt;id&gt;/lease               renewed while a replica receives a chunk for the session
 * </pre>
 *
 * <p>Chunks are objects of their own, not parts of one S3 multipart upload:
 * S3 refuses parts under 5 MiB except the last, and a client's chunks may be
 * any size. Nothing here is verified: the replica that completes a session
 * reads the chunks back through a {@link BlobWriter} that hashes them, and
 * commits only content that matches its digest. A chunk is written before
 * the state that names it, so a replica that dies between the two leaves a
 * session as it was (plus an orphan chunk its expiry deletes).
 *
 * <p>All methods block (call them on a blocking executor) and throw
 * {@link UncheckedIOException} around a {@link SharedWriteException} when the
 * bucket cannot be reached.
 * Two replicas appending to one session at the same instant are not told
 * apart: clients send a session's chunks one after the other.
 */
public final class S3UploadSessions {

    private static final Logger log = LoggerFactory.getLogger(S3UploadSessions.class);
    private static final String ROOT = "uploads/";

    private final S3Bucket bucket;
    private final Clock clock;

    /** A session as the bucket holds it; {@code modified} is when its state was last written. */
    public record Session(String id, String repository, List<Long> chunks, Instant modified) {

        public Session {
            chunks = List.copyOf(chunks);
        }

        /** Bytes the session holds. */
        public long offset() {
            return chunks.stream().mapToLong(Long::longValue).sum();
        }
    }

    /** @param clock stamps a session's last change when the bucket does not say (the expiry sweep compares it) */
    S3UploadSessions(S3Bucket bucket, Clock clock) {
        this.bucket = bucket;
        this.clock = clock;
    }

    /** Records a new, empty session. */
    public Session create(String id, String repository) {
        Session s = new Session(id, repository, List.of(), clock.instant());
        writeState(s);
        return s;
    }

    /** The session, or empty when no replica knows it (never created, completed, cancelled or expired). */
    public Optional<Session> find(String id) {
        try {
            var bytes = bucket.client().getObject(b -> b.bucket(bucket.bucket()).key(stateKey(id)),
                    AsyncResponseTransformer.toBytes()).join();
            return Optional.of(parse(id, bytes.asUtf8String(), bytes.response().lastModified()));
        } catch (CompletionException e) {
            if (S3Bucket.isNotFound(e)) {
                return Optional.empty();
            }
            throw failure("read upload session " + id, e);
        }
    }

    /** Stores {@code chunk} (a local file) at the end of the session and returns the session that holds it. */
    public Session append(Session s, Path chunk) {
        long size;
        try {
            size = Files.size(chunk);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            bucket.client().putObject(b -> b.bucket(bucket.bucket()).key(chunkKey(s.id(), s.offset())).contentLength(size)
                    .contentType("application/octet-stream"), AsyncRequestBody.fromFile(chunk)).join();
        } catch (CompletionException e) {
            throw failure("store a chunk of upload session " + s.id(), e);
        }
        List<Long> chunks = new ArrayList<>(s.chunks());
        chunks.add(size);
        Session next = new Session(s.id(), s.repository(), chunks, clock.instant());
        writeState(next);
        return next;
    }

    /**
     * Writes the session's bytes, in order, to {@code out} (which hashes them),
     * streamed from the bucket with no temporary file.
     */
    public void copyTo(Session s, BlobWriter out) throws IOException {
        long offset = 0;
        byte[] buffer = new byte[1 << 16];
        for (long size : s.chunks()) {
            long start = offset;
            ResponseInputStream<GetObjectResponse> in;
            try {
                in = bucket.client().getObject(b -> b.bucket(bucket.bucket()).key(chunkKey(s.id(), start)),
                        AsyncResponseTransformer.toBlockingInputStream()).join();
            } catch (CompletionException e) {
                if (S3Bucket.isNotFound(e)) {
                    throw new BrokenUploadException("upload " + s.id() + " lost its chunk at " + start);
                }
                throw new SharedWriteException("cannot read chunk at " + start + " of upload " + s.id(), S3Bucket.unwrap(e));
            }
            long read = 0;
            try (in) {
                for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                    out.write(ByteBuffer.wrap(buffer, 0, n));
                    read += n;
                }
            }
            if (read != size) {
                throw new BrokenUploadException("chunk at " + start + " of upload " + s.id() + " holds " + read
                        + " bytes, the session says " + size);
            }
            offset += size;
        }
    }

    /**
     * Deletes the session and its chunks; state first, so no replica sees a
     * session missing chunks. Only the objects this class writes are deleted:
     * a listed key ending in {@code /} is a directory some S3 implementations
     * list (S3Proxy's filesystem backend does), and deleting one that still
     * holds chunks makes jclouds retry for 10 s before it answers, which was
     * the whole latency of a completing PUT. Its chunks gone, it goes with them.
     */
    public void delete(String id) {
        try {
            bucket.client().deleteObject(b -> b.bucket(bucket.bucket()).key(stateKey(id))).join();
            for (S3Object o : list(bucket.key(ROOT + id + "/"))) {
                if (!o.key().endsWith("/")) {
                    bucket.client().deleteObject(b -> b.bucket(bucket.bucket()).key(o.key())).join();
                }
            }
        } catch (CompletionException e) {
            throw failure("delete upload session " + id, e);
        }
    }

    /**
     * Marks the session as written to now, without touching its state (which
     * the request writing to it rewrites when its chunk is stored): a replica
     * receiving a chunk longer than the expiry renews this, so no replica's
     * sweep deletes the session under it.
     */
    public void lease(String id) {
        try {
            bucket.client().putObject(b -> b.bucket(bucket.bucket()).key(bucket.key(ROOT + id + "/lease")).contentLength(0L)
                    .contentType("text/plain"), AsyncRequestBody.fromBytes(new byte[0])).join();
        } catch (CompletionException e) {
            throw failure("lease upload session " + id, e);
        }
    }

    /**
     * Deletes what no replica wrote to since {@code cutoff}: a session whose
     * state, lease and chunks are all older, unless {@code active} (a request
     * on this replica writes to it), and the leftovers of a session whose
     * state is gone (a chunk stored after a delete, a delete that failed half
     * way). A session that cannot be deleted now is left for the next sweep;
     * the others still go.
     *
     * @return how many sessions (and leftovers) were deleted
     */
    public int expire(Instant cutoff, Predicate<String> active) {
        String root = bucket.key(ROOT);
        Map<String, Instant> newest = new HashMap<>();
        for (S3Object o : list(root)) {
            String rest = o.key().substring(root.length());
            int slash = rest.indexOf('/');
            if (slash <= 0 || rest.endsWith("/")) {
                continue; // a directory some S3 implementations list
            }
            newest.merge(rest.substring(0, slash), o.lastModified(), (x, y) -> x.isAfter(y) ? x : y);
        }
        int n = 0;
        for (var e : newest.entrySet()) {
            if (!e.getValue().isBefore(cutoff) || active.test(e.getKey())) {
                continue;
            }
            try {
                delete(e.getKey());
                n++;
            } catch (UncheckedIOException failed) {
                log.warn("cannot delete idle upload session {} now; the next sweep tries again: {}", e.getKey(),
                        failed.getCause().toString());
            }
        }
        return n;
    }

    private List<S3Object> list(String prefix) {
        List<S3Object> all = new ArrayList<>();
        String token = null;
        try {
            do {
                String t = token;
                ListObjectsV2Response page = bucket.client().listObjectsV2(b -> b.bucket(bucket.bucket()).prefix(prefix)
                        .continuationToken(t)).join();
                all.addAll(page.contents());
                token = Boolean.TRUE.equals(page.isTruncated()) ? page.nextContinuationToken() : null;
            } while (token != null);
        } catch (CompletionException e) {
            throw failure("list upload sessions", e);
        }
        return all;
    }

    private void writeState(Session s) {
        StringBuilder text = new StringBuilder(s.repository()).append('\n');
        s.chunks().forEach(c -> text.append(c).append(','));
        byte[] body = text.toString().getBytes(StandardCharsets.UTF_8);
        try {
            bucket.client().putObject(b -> b.bucket(bucket.bucket()).key(stateKey(s.id())).contentLength((long) body.length)
                    .contentType("text/plain"), AsyncRequestBody.fromBytes(body)).join();
        } catch (CompletionException e) {
            throw failure("write upload session " + s.id(), e);
        }
    }

    private Session parse(String id, String text, Instant modified) {
        String[] lines = text.split("\n", -1);
        List<Long> chunks = lines.length < 2 || lines[1].isEmpty() ? List.of()
                : Arrays.stream(lines[1].split(",")).filter(c -> !c.isEmpty()).map(Long::parseLong).toList();
        return new Session(id, lines[0], chunks, modified == null ? clock.instant() : modified);
    }

    private String stateKey(String id) {
        return bucket.key(ROOT + id + "/state");
    }

    private String chunkKey(String id, long offset) {
        return bucket.key(ROOT + id + "/chunks/" + String.format("%020d", offset));
    }

    private static UncheckedIOException failure(String what, CompletionException e) {
        return new UncheckedIOException(new SharedWriteException("cannot " + what + " in the shared bucket", S3Bucket.unwrap(e)));
    }
}
