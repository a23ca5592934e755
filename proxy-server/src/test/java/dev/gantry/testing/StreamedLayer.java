package dev.gantry.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * A gzipped tar layer generated on the fly: entries are written straight
 * through the compressor, so a layer that expands to gigabytes (a 1 GiB
 * file, a million entries) costs the test only its compressed bytes. The
 * diff ID is hashed on the way.
 *
 * @param gzip the compressed layer
 * @param diffId {@code sha256:} of the uncompressed tar
 * @param expandedBytes size of the uncompressed tar
 */
public record StreamedLayer(byte[] gzip, String diffId, long expandedBytes) {

    /** Writes a layer's entries. */
    @FunctionalInterface
    public interface Entries {
        void write(Writer w) throws IOException;
    }

    /** Adds entries to the layer being written. */
    public static final class Writer {
        private final TarArchiveOutputStream tar;

        Writer(TarArchiveOutputStream tar) {
            this.tar = tar;
        }

        /** A regular file of {@code size} bytes whose body {@code body} writes (exactly {@code size} bytes). */
        public void file(String name, long size, int mode, Body body) throws IOException {
            TarArchiveEntry e = new TarArchiveEntry(name);
            e.setSize(size);
            e.setMode(mode);
            tar.putArchiveEntry(e);
            body.write(tar);
            tar.closeArchiveEntry();
        }
    }

    /** Writes a file's body. */
    @FunctionalInterface
    public interface Body {
        void write(OutputStream out) throws IOException;
    }

    public static StreamedLayer of(Entries entries) {
        try {
            ByteArrayOutputStream compressed = new ByteArrayOutputStream();
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            CountingOutputStream counted;
            try (GZIPOutputStream gz = new GZIPOutputStream(compressed, 1 << 16);
                    DigestOutputStream digest = new DigestOutputStream(gz, sha);
                    CountingOutputStream c = new CountingOutputStream(digest);
                    TarArchiveOutputStream tar = new TarArchiveOutputStream(c)) {
                counted = c;
                tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
                tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
                entries.write(new Writer(tar));
                tar.finish();
            }
            return new StreamedLayer(compressed.toByteArray(), "sha256:" + HexFormat.of().formatHex(sha.digest()),
                    counted.count);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static final class CountingOutputStream extends java.io.FilterOutputStream {
        long count;

        CountingOutputStream(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }
    }
}
