package dev.gantry.scan.tar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.junit.jupiter.api.Test;

class GzipMembersTest {

    /** Compressible but not trivial: words from a small vocabulary, then some random bytes. */
    private static byte[] content(int size, long seed) {
        Random r = new Random(seed);
        byte[] out = new byte[size];
        String[] words = {"libc", "ELF ", "\0\0\0\0", "avx2", "sse4", "/usr/lib/", "x86_64 "};
        int i = 0;
        while (i < size * 3 / 4) {
            byte[] w = words[r.nextInt(words.length)].getBytes(StandardCharsets.ISO_8859_1);
            int n = Math.min(w.length, size - i);
            System.arraycopy(w, 0, out, i, n);
            i += n;
        }
        while (i < size) {
            out[i++] = (byte) r.nextInt();
        }
        return out;
    }

    private static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        }
        return out.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private static byte[] inflate(InputStream source) throws IOException {
        try (GzipMembers in = new GzipMembers(source)) {
            return in.readAllBytes();
        }
    }

    /** A source that hands out a few bytes per read and never says any are available, as a network stream may. */
    private static InputStream trickle(byte[] data) {
        return new InputStream() {
            private int pos;

            @Override
            public int read() {
                return pos < data.length ? data[pos++] & 0xFF : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (pos >= data.length) {
                    return -1;
                }
                int n = Math.min(Math.min(len, 7), data.length - pos);
                System.arraycopy(data, pos, b, off, n);
                pos += n;
                return n;
            }

            @Override
            public int available() {
                return 0;
            }
        };
    }

    @Test
    void oneMemberInflatesToItsContent() throws Exception {
        byte[] data = content(3_000_000, 1);
        assertThat(inflate(new ByteArrayInputStream(gzip(data)))).isEqualTo(data);
    }

    @Test
    void everyMemberIsReadEvenWhenTheSourceSaysNothingIsAvailableAtTheirBoundary() throws Exception {
        byte[] a = content(200_000, 2);
        byte[] b = content(70_001, 3);
        byte[] c = new byte[0];
        byte[] gz = concat(gzip(a), gzip(b), gzip(c), gzip(a));
        assertThat(inflate(trickle(gz))).isEqualTo(concat(a, b, c, a));
        // The same as the library reader it replaced, on the same bytes.
        try (InputStream reference = new GzipCompressorInputStream(new ByteArrayInputStream(gz), true)) {
            assertThat(inflate(new ByteArrayInputStream(gz))).isEqualTo(reference.readAllBytes());
        }
    }

    /** A member written by hand with every optional header field and a header CRC. */
    private static byte[] memberWithAllHeaderFields(byte[] data, boolean goodHeaderCrc) {
        ByteArrayOutputStream h = new ByteArrayOutputStream();
        h.writeBytes(new byte[] {0x1F, (byte) 0x8B, 8, 2 | 4 | 8 | 16, 0, 0, 0, 0, 0, 3});
        h.writeBytes(new byte[] {5, 0, 'A', 'B', 2, 0, 'x'});          // FEXTRA: 5 bytes
        h.writeBytes("layer.tar\0".getBytes(StandardCharsets.ISO_8859_1)); // FNAME
        h.writeBytes("a comment\0".getBytes(StandardCharsets.ISO_8859_1)); // FCOMMENT
        CRC32 hc = new CRC32();
        hc.update(h.toByteArray());
        int crc16 = (int) hc.getValue() & 0xFFFF ^ (goodHeaderCrc ? 0 : 1);
        h.write(crc16 & 0xFF);
        h.write(crc16 >>> 8);
        Deflater d = new Deflater(6, true);
        d.setInput(data);
        d.finish();
        byte[] buf = new byte[data.length + 1024];
        int n = d.deflate(buf);
        d.end();
        h.write(buf, 0, n);
        CRC32 crc = new CRC32();
        crc.update(data);
        h.writeBytes(le32(crc.getValue()));
        h.writeBytes(le32(data.length));
        return h.toByteArray();
    }

    private static byte[] le32(long v) {
        return new byte[] {(byte) v, (byte) (v >>> 8), (byte) (v >>> 16), (byte) (v >>> 24)};
    }

    @Test
    void optionalHeaderFieldsAreSkippedAndTheHeaderCrcIsChecked() throws Exception {
        byte[] data = content(50_000, 4);
        assertThat(inflate(trickle(memberWithAllHeaderFields(data, true)))).isEqualTo(data);
        assertThatThrownBy(() -> inflate(new ByteArrayInputStream(memberWithAllHeaderFields(data, false))))
                .isInstanceOf(IOException.class).hasMessageContaining("CRC-16");
    }

    @Test
    void aWrongCrcOrLengthInATrailerIsCorrupt() throws Exception {
        byte[] data = content(100_000, 5);
        byte[] gz = gzip(data);
        byte[] badCrc = gz.clone();
        badCrc[gz.length - 8] ^= 1;
        assertThatThrownBy(() -> inflate(new ByteArrayInputStream(badCrc))).isInstanceOf(IOException.class)
                .hasMessageContaining("CRC-32");
        byte[] badLength = gz.clone();
        badLength[gz.length - 4] ^= 1;
        assertThatThrownBy(() -> inflate(new ByteArrayInputStream(badLength))).isInstanceOf(IOException.class)
                .hasMessageContaining("length");
        // A bad second member is found too, after the first inflated cleanly.
        assertThatThrownBy(() -> inflate(new ByteArrayInputStream(concat(gz, badCrc)))).isInstanceOf(IOException.class)
                .hasMessageContaining("CRC-32");
    }

    @Test
    void inputCutAnywhereIsTruncatedNeverAShortSuccess() throws Exception {
        byte[] gz = gzip(content(100_000, 6));
        for (int cut : new int[] {1, 5, 10, gz.length / 2, gz.length - 8, gz.length - 1}) {
            byte[] part = Arrays.copyOf(gz, cut);
            assertThatThrownBy(() -> inflate(new ByteArrayInputStream(part))).as("cut at %d of %d", cut, gz.length)
                    .isInstanceOf(EOFException.class).hasMessageContaining("truncated gzip");
        }
        assertThatThrownBy(() -> inflate(new ByteArrayInputStream(new byte[0]))).isInstanceOf(EOFException.class);
    }

    @Test
    void corruptDeflateDataGarbageAfterAMemberAndReservedFlagsAreRefused() throws Exception {
        byte[] gz = gzip(content(100_000, 7));
        byte[] corrupt = gz.clone();
        for (int i = 20; i < 60; i++) {
            corrupt[i] = (byte) 0xFF;
        }
        assertThatThrownBy(() -> inflate(new ByteArrayInputStream(corrupt))).isInstanceOf(IOException.class)
                .hasMessageContaining("gzip");
        assertThatThrownBy(() -> inflate(new ByteArrayInputStream(concat(gz, new byte[] {0, 0, 0, 0}))))
                .isInstanceOf(IOException.class).hasMessageContaining("garbage after a gzip member");
        byte[] reserved = gz.clone();
        reserved[3] |= (byte) 0x20;
        assertThatThrownBy(() -> inflate(new ByteArrayInputStream(reserved))).isInstanceOf(IOException.class)
                .hasMessageContaining("reserved flags");
        byte[] notGzip = gz.clone();
        notGzip[1] = 0;
        assertThatThrownBy(() -> inflate(new ByteArrayInputStream(notGzip))).isInstanceOf(IOException.class)
                .hasMessageContaining("not gzip");
        byte[] stored = gz.clone();
        stored[2] = 0;
        assertThatThrownBy(() -> inflate(new ByteArrayInputStream(stored))).isInstanceOf(IOException.class)
                .hasMessageContaining("compression method");
    }
}
