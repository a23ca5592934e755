package dev.gantry.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.core.FileRequestBodyConfiguration;
import software.amazon.awssdk.services.s3.model.CompletedPart;

/**
 * Uploads a local file: one PUT when small, else a multipart upload whose
 * parts are read from the file at their offsets, completed only when every
 * part is in (and aborted on any failure), so a partial object never
 * becomes visible.
 *
 * <p>Written by hand rather than with the SDK's multipart client because
 * that client adds checksum headers some S3-compatible servers reject
 * (S3Proxy answers 501); these requests carry only what every S3 server
 * implements. Parts go up one at a time: the upload is in the background
 * and its memory stays at nothing but the SDK's buffers.
 */
final class S3Upload {

    /** Files above this go up in parts. */
    static final long MULTIPART_THRESHOLD = 16L << 20;
    private static final long MIN_PART = 8L << 20;
    private static final int MAX_PARTS = 10_000;

    private S3Upload() {
    }

    static CompletableFuture<Void> file(S3Bucket bucket, String key, Path file) {
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            return CompletableFuture.failedFuture(e);
        }
        if (size <= MULTIPART_THRESHOLD) {
            return bucket.client().putObject(b -> b.bucket(bucket.bucket()).key(key).contentLength(size)
                    .contentType("application/octet-stream"), AsyncRequestBody.fromFile(file)).thenApply(r -> null);
        }
        long partSize = Math.max(MIN_PART, (size + MAX_PARTS - 1) / MAX_PARTS);
        return bucket.client().createMultipartUpload(b -> b.bucket(bucket.bucket()).key(key)
                        .contentType("application/octet-stream"))
                .thenCompose(created -> {
                    String uploadId = created.uploadId();
                    List<CompletedPart> parts = new ArrayList<>();
                    return uploadParts(bucket, key, uploadId, file, size, partSize, 1, 0, parts)
                            .thenCompose(v -> bucket.client().completeMultipartUpload(b -> b.bucket(bucket.bucket()).key(key)
                                    .uploadId(uploadId).multipartUpload(m -> m.parts(parts))))
                            .<Void>thenApply(r -> null)
                            .exceptionallyCompose(e -> bucket.client()
                                    .abortMultipartUpload(b -> b.bucket(bucket.bucket()).key(key).uploadId(uploadId))
                                    .handle((r, abortError) -> {
                                        throw e instanceof RuntimeException re ? re : new UncheckedIOException(new IOException(e));
                                    }));
                });
    }

    private static CompletableFuture<Void> uploadParts(S3Bucket bucket, String key, String uploadId, Path file, long size,
                                                       long partSize, int number, long offset, List<CompletedPart> done) {
        if (offset >= size) {
            return CompletableFuture.completedFuture(null);
        }
        long length = Math.min(partSize, size - offset);
        AsyncRequestBody body = AsyncRequestBody.fromFile(FileRequestBodyConfiguration.builder()
                .path(file).position(offset).numBytesToRead(length).build());
        return bucket.client().uploadPart(b -> b.bucket(bucket.bucket()).key(key).uploadId(uploadId)
                        .partNumber(number).contentLength(length), body)
                .thenCompose(r -> {
                    done.add(CompletedPart.builder().partNumber(number).eTag(r.eTag()).build());
                    return uploadParts(bucket, key, uploadId, file, size, partSize, number + 1, offset + length, done);
                });
    }
}
