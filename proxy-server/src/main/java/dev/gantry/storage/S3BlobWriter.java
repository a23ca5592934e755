package dev.gantry.storage;

import dev.gantry.oci.Digest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;

/**
 * A blob written for the bucket: bytes go to a local temporary file while
 * they are hashed; on commit the size and digest are checked and only a
 * verified file is uploaded (an object that does not match is never
 * written). The temporary file is deleted on commit or abort. One writer,
 * one thread.
 */
final class S3BlobWriter implements BlobWriter {
    private final Digest expected;
    private final long expectedSize;
    private final Path part;
    private final FileChannel channel;
    private final MessageDigest hash;
    private final Supplier<CompletableFuture<Void>> upload;
    private final String bucket;
    private long written;
    private boolean finished;

    S3BlobWriter(Digest expected, long expectedSize, Path part, FileChannel channel, MessageDigest hash,
                 Supplier<CompletableFuture<Void>> upload, String bucket) {
        this.expected = expected;
        this.expectedSize = expectedSize;
        this.part = part;
        this.channel = channel;
        this.hash = hash;
        this.upload = upload;
        this.bucket = bucket;
    }

    @Override
    public void write(ByteBuffer src) throws IOException {
        if (finished) {
            throw new IOException("write after commit or abort");
        }
        if (expectedSize >= 0 && written + src.remaining() > expectedSize) {
            throw new DigestMismatchException("more bytes than the expected " + expectedSize + " for " + expected);
        }
        hash.update(src.duplicate());
        while (src.hasRemaining()) {
            written += channel.write(src);
        }
    }

    @Override
    public long written() {
        return written;
    }

    @Override
    public Digest commit() throws IOException {
        if (finished) {
            throw new IOException("commit after commit or abort");
        }
        try {
            channel.close();
            if (expectedSize >= 0 && written != expectedSize) {
                throw new DigestMismatchException(expected + ": got " + written + " bytes, expected " + expectedSize);
            }
            if (!expected.matchesRaw(hash.digest())) {
                throw new DigestMismatchException("content does not hash to " + expected);
            }
            upload.get().join();
            return expected;
        } catch (CompletionException e) {
            throw new IOException("upload of " + expected + " to " + bucket + " failed", S3Bucket.unwrap(e));
        } finally {
            abort();
        }
    }

    @Override
    public void abort() {
        finished = true;
        try {
            channel.close();
            Files.deleteIfExists(part);
        } catch (IOException ignored) {
            // Temporary file; start-up empties the spool.
        }
    }
}
