package dev.gantry.storage;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.gantry.content.ByteStream;
import dev.gantry.content.Content;
import dev.gantry.oci.Digest;
import dev.gantry.oci.RegistryException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The S3 tier: the store replicas share. Objects are written only from
 * verified local files (a single PUT, or a multipart upload completed only
 * when every part is in), so an interrupted upload is never visible. Reads
 * stream with back-pressure. Reads are not trusted either: a fill from S3
 * hashes what arrives like any other fill.
 *
 * <p>Last access per blob is recorded as day-stamped marker keys
 * ({@link S3AccessMarkers}), so a retention sweep can tell from one listing
 * which blobs nobody has read for a while.
 */
public final class S3BlobStore implements BlobStore {

    private final S3Bucket bucket;
    private final Path tempDir;
    private final S3AccessMarkers markers;
    private final S3UploadSessions sessions;
    private volatile long listedBytes;
    private final Cache<Digest, Long> sizes;

    /**
     * @param sizeEntries how many blob sizes read lately are held at most
     * @param touchedEntries how many blobs' access marker of today are remembered at most
     */
    public S3BlobStore(S3Bucket bucket, Path tempDir, Clock clock, long sizeEntries, long touchedEntries)
            throws IOException {
        this.bucket = bucket;
        this.tempDir = tempDir;
        this.sizes = Caffeine.newBuilder().maximumSize(sizeEntries).expireAfterWrite(10, TimeUnit.MINUTES).build();
        this.markers = new S3AccessMarkers(bucket, clock, touchedEntries);
        Files.createDirectories(tempDir);
        this.sessions = new S3UploadSessions(bucket, clock);
    }

    /** Upload sessions of hosted repositories, kept in this bucket for every replica to continue. */
    public S3UploadSessions uploadSessions() {
        return sessions;
    }

    @Override
    public String name() {
        return "s3";
    }

    static String blobKey(Digest d) {
        return "blobs/" + d.algorithm() + "/" + d.hex();
    }

    @Override
    public CompletableFuture<OptionalLong> stat(Digest digest) {
        Long known = sizes.getIfPresent(digest);
        if (known != null) {
            return CompletableFuture.completedFuture(OptionalLong.of(known));
        }
        return bucket.client().headObject(b -> b.bucket(bucket.bucket()).key(bucket.key(blobKey(digest))))
                .thenApply(r -> {
                    sizes.put(digest, r.contentLength());
                    return OptionalLong.of(r.contentLength());
                })
                .exceptionallyCompose(e -> S3Bucket.isNotFound(e)
                        ? CompletableFuture.completedFuture(OptionalLong.empty())
                        : CompletableFuture.failedFuture(S3Bucket.unwrap(e)));
    }

    /** The size of the object the bucket holds now, asked of the bucket (never the size cache): to confirm a write. */
    public CompletableFuture<OptionalLong> statStored(Digest digest) {
        sizes.invalidate(digest);
        return stat(digest);
    }

    @Override
    public CompletableFuture<Content> open(Digest digest, long offset, long length) {
        return get(digest, "bytes=" + offset + "-" + (offset + length - 1)).thenApply(body -> (Content) body);
    }

    /**
     * The whole blob as a stream, for a fill that verifies it; fails with
     * {@link BlobNotFoundException}. An object written today came with
     * today's access marker (see {@link #putFile}): reading it writes none.
     */
    public CompletableFuture<ByteStream> read(Digest digest) {
        return get(digest, null).thenApply(body -> (ByteStream) body);
    }

    /**
     * Copies a blob into this replica's own tier, verified against its digest
     * as it is written (a replica warming up before it takes traffic). Blocks.
     *
     * @return false when the bucket does not hold the blob
     * @throws IOException when reading, writing or verifying fails; nothing is then published locally
     */
    public boolean copyTo(Digest digest, LocalTier local) throws IOException {
        ResponseInputStream<GetObjectResponse> in;
        try {
            in = bucket.client().getObject(b -> b.bucket(bucket.bucket()).key(bucket.key(blobKey(digest))),
                    AsyncResponseTransformer.toBlockingInputStream()).join();
        } catch (CompletionException e) {
            if (S3Bucket.isNotFound(e)) {
                return false;
            }
            throw new IOException("reading " + digest + " from the S3 tier", S3Bucket.unwrap(e));
        }
        try (in) {
            SpoolWriter w = local.newWriter(digest, in.response().contentLength());
            try {
                byte[] buffer = new byte[1 << 16];
                for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                    w.write(ByteBuffer.wrap(buffer, 0, n));
                }
                w.commit();
                return true;
            } catch (IOException | RuntimeException e) {
                w.abort();
                throw e;
            }
        }
    }

    private CompletableFuture<PublisherBody> get(Digest digest, String range) {
        return bucket.client().getObject(b -> {
            b.bucket(bucket.bucket()).key(bucket.key(blobKey(digest)));
            if (range != null) {
                b.range(range);
            }
        }, AsyncResponseTransformer.toPublisher())
                .thenApply(publisher -> {
                    if (range == null && publisher.response().lastModified() != null) {
                        markers.writtenOn(digest, publisher.response().lastModified());
                    }
                    return new PublisherBody(publisher, publisher.response().contentLength());
                })
                .exceptionallyCompose(e -> CompletableFuture.failedFuture(S3Bucket.isNotFound(e)
                        ? new BlobNotFoundException(digest) : S3Bucket.unwrap(e)));
    }

    /** Uploads a verified local file; multipart for large ones, visible only once complete. */
    public CompletableFuture<Void> putFile(Digest digest, Path verified) {
        return S3Upload.file(bucket, bucket.key(blobKey(digest)), verified)
                // Unless this replica marked it read today already: a marker of the day exists, or (when another replica
                // deleted the blob and its markers since) the sweep takes the new object's LastModified instead.
                .thenCompose(r -> markers.touch(digest))
                .thenRun(() -> {
                    try {
                        sizes.put(digest, Files.size(verified));
                    } catch (IOException ignored) {
                        // Only a cache.
                    }
                });
    }

    /**
     * Records that a blob was read today. At most one write per blob per day
     * per replica; failures are left to the caller to count.
     */
    public CompletableFuture<Void> touch(Digest digest) {
        return markers.touch(digest);
    }

    /**
     * Records that another replica marked the blob as read today (the fleet
     * member that fetched or served it for this one), so this replica's
     * reads today write no marker of their own.
     */
    public void touchedElsewhere(Digest digest) {
        markers.touchedElsewhere(digest);
    }

    @Override
    public BlobWriter newWriter(Digest expected, long expectedSize) throws IOException {
        Path part = tempDir.resolve(UUID.randomUUID() + ".s3part");
        FileChannel channel = FileChannel.open(part, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        MessageDigest hash = expected.newMessageDigest();
        return new S3BlobWriter(expected, expectedSize, part, channel, hash, () -> putFile(expected, part), bucket.toString());
    }

    @Override
    public CompletableFuture<Boolean> delete(Digest digest) {
        sizes.invalidate(digest);
        return stat(digest).thenCompose(present -> bucket.client()
                .deleteObject(b -> b.bucket(bucket.bucket()).key(bucket.key(blobKey(digest))))
                .thenCompose(r -> markers.forget(digest))
                .thenApply(v -> {
                    sizes.invalidate(digest);
                    return present.isPresent();
                }));
    }

    /**
     * The last recorded access of every digest (blobs and manifests alike),
     * from one listing of the access markers. Blocks.
     */
    public Map<Digest, Instant> lastAccess() {
        return markers.lastAccess();
    }

    /** The last recorded access of one digest, read now (not from an earlier listing); null when none. Blocks. */
    public Instant lastAccess(Digest digest) {
        return markers.lastAccess(digest);
    }

    /** Every blob with its size and last access (latest access marker, else its upload time). Blocks. */
    @Override
    public List<StoredBlob> list() {
        Map<String, Long> lastDay = markers.lastDays();
        List<StoredBlob> out = new ArrayList<>();
        for (S3Object o : markers.listObjects("blobs/")) {
            String rel = o.key().substring(bucket.prefix().length() + "blobs/".length());
            Digest d;
            try {
                d = Digest.parse(rel.replace('/', ':'));
            } catch (RegistryException e) {
                continue;
            }
            Long day = lastDay.get(rel);
            Instant access = day != null ? S3AccessMarkers.dayStart(day) : o.lastModified();
            out.add(new StoredBlob(d, o.size(), access));
        }
        listedBytes = out.stream().mapToLong(StoredBlob::size).sum();
        return out;
    }

    /** Removes every access marker of a digest the bucket no longer holds (a manifest deleted, a blob gone). Blocks. */
    public void forgetMarkers(Digest digest) {
        markers.forget(digest).join();
    }

    /** Removes a digest's access markers older than the newest, keeping the listing small. Blocks. */
    public void pruneMarkers(Digest digest) {
        markers.prune(digest);
    }

    /** Aborts multipart uploads started before {@code cutoff} (a replica died mid-upload). Blocks; returns how many. */
    public int abortStaleUploads(Instant cutoff) {
        var uploads = bucket.client().listMultipartUploads(b -> b.bucket(bucket.bucket()).prefix(bucket.key("blobs/"))).join().uploads();
        int n = 0;
        for (var u : uploads) {
            if (u.initiated() != null && u.initiated().isBefore(cutoff)) {
                bucket.client().abortMultipartUpload(b -> b.bucket(bucket.bucket()).key(u.key()).uploadId(u.uploadId())).join();
                n++;
            }
        }
        return n;
    }

    /** Bytes held as of the last {@link #list()} (a full listing is too costly to do on demand). */
    @Override
    public long usedBytes() {
        return listedBytes;
    }

    @Override
    public void close() {
        // The bucket (and its client) belongs to whoever opened it.
    }
}
