package dev.gantry.storage;

import dev.gantry.oci.Digest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.UUID;

/**
 * A blob being written to the disk tier's spool: hashed as it is written,
 * fsynced and renamed into the store only if the digest and size match.
 * Readers may follow the spool file while it grows (see {@link #path()}); the
 * file keeps its identity across the rename, so their channels stay valid.
 *
 * <p>One writing thread at a time; {@link #written()} may be read from any thread.
 */
public final class SpoolWriter implements BlobWriter {

    private final DiskBlobStore store;
    private final Digest expected;
    private final long expectedSize;
    private final Path path;
    private final FileChannel channel;
    private final MessageDigest hash;
    private volatile long written;
    private boolean finished;

    SpoolWriter(DiskBlobStore store, Digest expected, long expectedSize, Path spoolDir) throws IOException {
        this.store = store;
        this.expected = expected;
        this.expectedSize = expectedSize;
        this.path = spoolDir.resolve(UUID.randomUUID() + ".part");
        this.channel = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        this.hash = expected.newMessageDigest();
    }

    /** The spool file: readable while it grows. */
    public Path path() {
        return path;
    }

    public Digest expected() {
        return expected;
    }

    @Override
    public void write(ByteBuffer src) throws IOException {
        if (finished) {
            throw new IOException("write after commit or abort");
        }
        if (expectedSize >= 0 && written + src.remaining() > expectedSize) {
            throw new DigestMismatchException("more bytes than the expected " + expectedSize + " for " + expected);
        }
        ByteBuffer forHash = src.duplicate();
        long n = 0;
        while (src.hasRemaining()) {
            n += channel.write(src);
        }
        hash.update(forHash);
        written += n;
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
            if (expectedSize >= 0 && written != expectedSize) {
                throw new DigestMismatchException(expected + ": got " + written + " bytes, expected " + expectedSize);
            }
            if (!expected.matchesRaw(hash.digest())) {
                throw new DigestMismatchException("content does not hash to " + expected);
            }
            channel.force(false);
            channel.close();
            store.publish(expected, path, written);
            finished = true;
            return expected;
        } catch (IOException | RuntimeException e) {
            abort();
            throw e;
        }
    }

    @Override
    public void abort() {
        if (finished) {
            return;
        }
        finished = true;
        try {
            channel.close();
        } catch (IOException ignored) {
            // Deleting the file is what matters.
        }
        try {
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // Start-up empties the spool anyway.
        }
    }
}
