package dev.gantry.storage;

import dev.gantry.oci.Digest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
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

    /** @param expected the digest the content must have, or null when it is known only at commit (uploads) */
    SpoolWriter(DiskBlobStore store, Digest expected, long expectedSize, Path spoolDir) throws IOException {
        this.store = store;
        this.expected = expected;
        this.expectedSize = expectedSize;
        this.path = spoolDir.resolve(UUID.randomUUID() + ".part");
        this.channel = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        this.hash = expected != null ? expected.newMessageDigest() : newSha256();
    }

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
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

    /**
     * Drops everything past the first {@code size} bytes and hashes what stays
     * again: an upload request whose body was not what its {@code Content-Range}
     * declared must leave the session as it found it. Reads the kept bytes once;
     * only a refused request pays for it.
     */
    public void truncate(long size) throws IOException {
        if (finished) {
            throw new IOException("truncate after commit or abort");
        }
        if (size < 0 || size > written) {
            throw new IllegalArgumentException("cannot truncate " + written + " bytes to " + size);
        }
        channel.truncate(size);
        channel.position(size);
        hash.reset();
        try (var in = Files.newInputStream(path)) {
            byte[] buf = new byte[64 * 1024];
            long left = size;
            while (left > 0) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                if (n < 0) {
                    throw new IOException("spool file " + path + " is shorter than " + size + " bytes");
                }
                hash.update(buf, 0, n);
                left -= n;
            }
        }
        written = size;
    }

    @Override
    public Digest commit() throws IOException {
        if (expected == null) {
            throw new IOException("an upload is committed with commitAs(digest)");
        }
        return commitAs(expected);
    }

    /**
     * Verifies the content against {@code claimed} (the digest a client named
     * when completing an upload) and publishes it. Content hashed as sha256
     * while written; another algorithm is checked by reading the file again.
     */
    public Digest commitAs(Digest claimed) throws IOException {
        if (finished) {
            throw new IOException("commit after commit or abort");
        }
        try {
            if (expectedSize >= 0 && written != expectedSize) {
                throw new DigestMismatchException(claimed + ": got " + written + " bytes, expected " + expectedSize);
            }
            boolean matches = claimed.algorithm().equals(hash.getAlgorithm().equals("SHA-256") ? "sha256" : "sha512")
                    ? claimed.matchesRaw(hash.digest())
                    : claimed.matchesRaw(rehash(claimed));
            if (!matches) {
                throw new DigestMismatchException("content does not hash to " + claimed);
            }
            channel.force(false);
            channel.close();
            store.publish(claimed, path, written);
            finished = true;
            return claimed;
        } catch (IOException | RuntimeException e) {
            abort();
            throw e;
        }
    }

    private byte[] rehash(Digest claimed) throws IOException {
        MessageDigest other = claimed.newMessageDigest();
        try (var in = Files.newInputStream(path)) {
            byte[] buf = new byte[64 * 1024];
            for (int n = in.read(buf); n > 0; n = in.read(buf)) {
                other.update(buf, 0, n);
            }
        }
        return other.digest();
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
