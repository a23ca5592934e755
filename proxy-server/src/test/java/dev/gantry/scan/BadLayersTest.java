package dev.gantry.scan;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.oci.Digest;
import dev.gantry.schema.ScanStatus;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every kind of bad layer ends its scan with a recorded reason; none throws. */
class BadLayersTest {
    @TempDir
    Path tmp;

    private static final byte[] GOOD = new LayerBuilder().file("usr/lib/libcudart.so.12", "x".repeat(5000))
            .file("etc/hostname", "h\n").tar();

    @Test
    void corruptGzipFailsAsCorrupt() {
        byte[] gz = LayerBuilder.gzip(GOOD);
        for (int i = 20; i < gz.length - 10; i += 7) {
            gz[i] ^= 0x5A;
        }
        LayerFindings f = Scans.scan(gz);
        assertThat(f.status()).isEqualTo(ScanStatus.FAILED);
        assertThat(f.failure()).isEqualTo(FailureKind.CORRUPT);
        assertThat(f.reason()).isNotBlank();
        assertThat(f.retryable()).isFalse();
    }

    @Test
    void truncatedGzipFailsAsCorrupt() {
        byte[] gz = LayerBuilder.gzip(GOOD);
        LayerFindings f = Scans.scan(Arrays.copyOf(gz, gz.length / 2));
        assertThat(f.failure()).isEqualTo(FailureKind.CORRUPT);
    }

    @Test
    void corruptZstdFailsAsCorrupt() {
        byte[] z = LayerBuilder.zstd(GOOD);
        for (int i = 12; i < z.length - 4; i += 5) {
            z[i] ^= 0x33;
        }
        LayerFindings f = Scans.scan(z);
        assertThat(f.failure()).isEqualTo(FailureKind.CORRUPT);
    }

    @Test
    void truncatedZstdFailsAsCorrupt() {
        byte[] z = LayerBuilder.zstd(GOOD);
        assertThat(Scans.scan(Arrays.copyOf(z, z.length - 9)).failure()).isEqualTo(FailureKind.CORRUPT);
    }

    @Test
    void aTarHeaderWithABadChecksumFailsAsCorrupt() {
        byte[] tar = GOOD.clone();
        tar[0] = (byte) (tar[0] ^ 0x01); // the name is covered by the header checksum
        LayerFindings f = Scans.scan(tar);
        assertThat(f.failure()).isEqualTo(FailureKind.CORRUPT);
    }

    @Test
    void aTarCutInsideAFileFailsAsCorrupt() {
        assertThat(Scans.scan(Arrays.copyOf(GOOD, 512 + 3000)).failure()).isEqualTo(FailureKind.CORRUPT);
        assertThat(Scans.scan(Arrays.copyOf(GOOD, 700)).failure()).isEqualTo(FailureKind.CORRUPT);
    }

    @Test
    void aTarEndingAtAnEntryBoundaryWithoutTheEndMarkerIsAccepted() {
        // Go's archive/tar (and so containerd) accept a missing end-of-archive marker.
        int boundary = 512 + 5120 + 512 + 512;
        LayerFindings f = Scans.scan(Arrays.copyOf(GOOD, boundary));
        assertThat(f.status()).isEqualTo(ScanStatus.COMPLETE);
        assertThat(Scans.rules(f)).contains("nvidia.cuda-runtime");
    }

    @Test
    void aDecompressionBombStopsAtTheExpandedSizeLimit() throws IOException {
        byte[] bomb = zeros(64 << 20);
        LayerScanner small = new LayerScanner(Scans.KB, new ScanLimits(16 << 20, 1_000_000, 0, 1000, 1 << 20,
                1 << 20, 1024));
        LayerFindings f = Scans.scan(small, bomb);
        assertThat(f.failure()).isEqualTo(FailureKind.LIMIT);
        assertThat(f.reason()).contains("expands beyond");
        assertThat(f.expandedBytes()).isLessThan(20L << 20);
    }

    @Test
    void aDecompressionBombStopsAtTheRatioLimit() throws IOException {
        byte[] bomb = zeros(64 << 20);
        LayerScanner ratio = new LayerScanner(Scans.KB, new ScanLimits(1L << 40, 100, 1 << 20, 1000, 1 << 20,
                1 << 20, 1024));
        LayerFindings f = Scans.scan(ratio, bomb);
        assertThat(f.failure()).isEqualTo(FailureKind.LIMIT);
        assertThat(f.reason()).contains("times its compressed size");
    }

    @Test
    void anAbsurdEntryCountStopsAtTheLimit() {
        LayerBuilder b = new LayerBuilder();
        for (int i = 0; i < 300; i++) {
            b.file("f/" + i, "");
        }
        LayerScanner few = new LayerScanner(Scans.KB, new ScanLimits(1L << 30, 1000, 0, 100, 1 << 20, 1 << 20, 1024));
        LayerFindings f = Scans.scan(few, b.gzip());
        assertThat(f.failure()).isEqualTo(FailureKind.LIMIT);
        assertThat(f.entries()).isEqualTo(101);
    }

    @Test
    void aHugePaxHeaderStopsAtTheMetadataLimitInsteadOfFillingMemory() {
        String name = "d/".repeat(40_000) + "f";
        LayerScanner small = new LayerScanner(Scans.KB, new ScanLimits(1L << 30, 1000, 0, 1000, 16 << 10,
                1 << 20, 1024));
        LayerFindings f = Scans.scan(small, new LayerBuilder().file(name, "x").gzip());
        assertThat(f.failure()).isEqualTo(FailureKind.LIMIT);
        assertThat(f.reason()).contains("PAX header or long name");
    }

    /**
     * A PAX 1.0 sparse file whose map (read by commons-compress from the file's data, past its own read, into a
     * list of an object per entry) claims 999,999,999 entries: the bytes read while the next entry is looked
     * for are metered, so the scan stops at the metadata limit instead of filling the heap.
     */
    @Test
    void aSparseMapPastTheMetadataLimitStopsTheScanInsteadOfFillingMemory() throws IOException {
        StringBuilder map = new StringBuilder("999999999\n");
        map.append("0\n0\n".repeat(50_000)); // 200 KB of entries, 12x the limit below
        byte[] data = map.toString().getBytes(StandardCharsets.US_ASCII);
        ByteArrayOutputStream tar = new ByteArrayOutputStream();
        try (TarArchiveOutputStream out = new TarArchiveOutputStream(tar)) {
            // The PAX header written by hand: the library takes GNU.sparse.* keys into the entry, not the archive.
            byte[] pax = (paxRecord("GNU.sparse.major", "1") + paxRecord("GNU.sparse.minor", "0")
                    + paxRecord("GNU.sparse.name", "sparse") + paxRecord("GNU.sparse.realsize", "1"))
                    .getBytes(StandardCharsets.US_ASCII);
            TarArchiveEntry header = new TarArchiveEntry("PaxHeaders/sparse", TarConstants.LF_PAX_EXTENDED_HEADER_LC);
            header.setSize(pax.length);
            out.putArchiveEntry(header);
            out.write(pax);
            out.closeArchiveEntry();
            TarArchiveEntry e = new TarArchiveEntry("sparse");
            e.setSize(data.length);
            out.putArchiveEntry(e);
            out.write(data);
            out.closeArchiveEntry();
            TarArchiveEntry after = new TarArchiveEntry("after");
            after.setSize(1);
            out.putArchiveEntry(after);
            out.write('x');
            out.closeArchiveEntry();
        }
        LayerScanner small = new LayerScanner(Scans.KB, new ScanLimits(1L << 30, 1000, 0, 1000, 16 << 10, 1 << 20, 1024));
        LayerFindings f = Scans.scan(small, tar.toByteArray());
        assertThat(f.failure()).as(f.reason()).isEqualTo(FailureKind.LIMIT);
        assertThat(f.reason()).contains("sparse map");
    }

    /**
     * A link target no file system holds (4,400 bytes here; a PAX linkpath may be 1 MiB, which resolving the
     * entry point would split into a part per two bytes).
     */
    @Test
    void aSymbolicLinkTargetLongerThanPathMaxStopsTheScan() {
        LayerFindings f = Scans.scan(new LayerBuilder().symlink("etc", "etc/".repeat(1_100)).gzip());
        assertThat(f.failure()).isEqualTo(FailureKind.LIMIT);
        assertThat(f.reason()).contains("symbolic link target longer than 4096");
    }

    @Test
    void aNameLongerThanPathMaxStopsTheScan() {
        LayerFindings f = Scans.scan(new LayerBuilder().file("d/".repeat(3000) + "f", "x").gzip());
        assertThat(f.failure()).isEqualTo(FailureKind.LIMIT);
        assertThat(f.reason()).contains("longer than 4096");
    }

    @Test
    void pathTraversalNamesFailTheLayer() throws IOException {
        LayerFindings f = Scans.scan(rawTar("../../etc/cron.d/evil", "* * * * * root sh\n"));
        assertThat(f.failure()).isEqualTo(FailureKind.PATH_TRAVERSAL);
        assertThat(f.reason()).contains("escapes the layer root");
        LayerFindings g = Scans.scan(rawTar("usr/../../x", "x"));
        assertThat(g.failure()).isEqualTo(FailureKind.PATH_TRAVERSAL);
    }

    @Test
    void aHardLinkOutOfTheRootFailsTheLayer() {
        LayerFindings f = Scans.scan(new LayerBuilder().hardlink("etc/shadow-copy", "../../etc/shadow").tar());
        assertThat(f.failure()).isEqualTo(FailureKind.PATH_TRAVERSAL);
    }

    @Test
    void aTruncatedElfIsSkippedWithANoteAndTheRestOfTheLayerCounts() throws Exception {
        byte[] elf = Files.readAllBytes(Programs.gcc(tmp, "p", Programs.VECTOR_LOOP, "-march=x86-64-v3"));
        byte[] cut = Arrays.copyOf(elf, elf.length / 3); // the section headers are at the end
        LayerFindings f = Scans.scan(new LayerBuilder().file("app/cut", cut, 0755)
                .file("usr/lib/libasound.so.2", "not really").gzip());
        assertThat(f.status()).isEqualTo(ScanStatus.PARTIAL);
        assertThat(f.notes()).anySatisfy(n -> assertThat(n).contains("/app/cut").contains("truncated"));
        assertThat(Scans.rules(f)).contains("alsa.libasound");
    }

    @Test
    void anElfBiggerThanThePerFileLimitIsAnalysedUpToItAndSaysSo() throws Exception {
        byte[] elf = Files.readAllBytes(Programs.gcc(tmp, "big", Programs.VECTOR_LOOP
                + "static char pad[4 << 20] = {1};\nchar *keep(void) { return pad; }\n", "-march=x86-64-v3"));
        LayerScanner limited = new LayerScanner(Scans.KB, new ScanLimits(1L << 30, 1000, 0, 1000, 1 << 20,
                1 << 20, 1024));
        LayerFindings f = Scans.scan(limited, new LayerBuilder().file("app/big", elf, 0755).gzip());
        assertThat(f.status()).isEqualTo(ScanStatus.PARTIAL);
        assertThat(f.notes()).anySatisfy(n -> assertThat(n).contains("/app/big").contains("per-file limit"));
        assertThat(Scans.required(f)).as("the code before the cut is still analysed").contains("avx2");
        assertThat(f.elfFiles()).containsExactly("/app/big");
    }

    @Test
    void xzAndBzip2AreRefusedAsUnsupported() {
        byte[] xz = {(byte) 0xFD, '7', 'z', 'X', 'Z', 0, 0, 0};
        assertThat(Scans.scan(xz).failure()).isEqualTo(FailureKind.UNSUPPORTED);
        assertThat(Scans.scan("BZh91AY&SY".getBytes(StandardCharsets.US_ASCII)).failure())
                .isEqualTo(FailureKind.UNSUPPORTED);
    }

    @Test
    void aReadErrorOfTheBlobIsRetryableNotCorrupt() {
        InputStream failing = new InputStream() {
            private int left = 2000;

            @Override
            public int read() throws IOException {
                if (left-- <= 0) {
                    throw new IOException("connection reset");
                }
                return 0;
            }
        };
        LayerFindings f = Scans.SCANNER.scan(Digest.sha256(new byte[1]), null, failing);
        assertThat(f.failure()).isEqualTo(FailureKind.IO);
        assertThat(f.retryable()).isTrue();
        assertThat(f.reason()).contains("connection reset");
    }

    @Test
    void randomBytesNeverEscapeAsAnException() {
        Random random = new Random(42);
        for (int i = 0; i < 200; i++) {
            byte[] junk = new byte[random.nextInt(4096)];
            random.nextBytes(junk);
            if (i % 3 == 0 && junk.length > 2) {
                junk[0] = 0x1F;
                junk[1] = (byte) 0x8B;
            }
            LayerFindings f = Scans.scan(junk);
            assertThat(f.status()).isIn(ScanStatus.FAILED, ScanStatus.COMPLETE, ScanStatus.PARTIAL);
        }
    }

    private static byte[] zeros(int size) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(out))) {
            TarArchiveEntry e = new TarArchiveEntry("zeros");
            e.setSize(size);
            tar.putArchiveEntry(e);
            byte[] chunk = new byte[1 << 20];
            for (int i = 0; i < size / chunk.length; i++) {
                tar.write(chunk);
            }
            tar.closeArchiveEntry();
        }
        return out.toByteArray();
    }

    /** A tar entry with the name exactly as given (TarArchiveEntry would not keep some names). */
    /** One PAX extended header record: its length in decimal (itself included), a space, key=value, a newline. */
    private static String paxRecord(String key, String value) {
        String rest = " " + key + "=" + value + "\n";
        int length = rest.length() + 1;
        while (length != (Integer.toString(length) + rest).length()) {
            length++;
        }
        return length + rest;
    }

    private static byte[] rawTar(String name, String content) throws IOException {
        byte[] header = new byte[512];
        byte[] n = name.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(n, 0, header, 0, n.length);
        put(header, 100, "0000644");
        put(header, 108, "0000000");
        put(header, 116, "0000000");
        put(header, 124, String.format("%011o", content.length()));
        put(header, 136, "00000000000");
        header[156] = '0';
        put(header, 257, "ustar");
        header[262] = 0;
        put(header, 263, "00");
        Arrays.fill(header, 148, 156, (byte) ' ');
        long sum = 0;
        for (byte b : header) {
            sum += b & 0xFF;
        }
        put(header, 148, String.format("%06o", sum));
        header[154] = 0;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(header);
        byte[] body = Arrays.copyOf(content.getBytes(StandardCharsets.US_ASCII), 512);
        out.write(body);
        out.write(new byte[1024]);
        return out.toByteArray();
    }

    private static void put(byte[] h, int off, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, h, off, b.length);
    }
}
