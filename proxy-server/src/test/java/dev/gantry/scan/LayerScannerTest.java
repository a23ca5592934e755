package dev.gantry.scan;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gantry.oci.Digest;
import dev.gantry.schema.HardwareJson;
import dev.gantry.schema.ScanStatus;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class LayerScannerTest {
    private static final LayerBuilder LAYER = new LayerBuilder()
            .file("usr/lib/x86_64-linux-gnu/libcudart.so.12", "x")
            .symlink("usr/lib/x86_64-linux-gnu/libcudart.so", "libcudart.so.12")
            .hardlink("usr/bin/tool2", "usr/bin/tool")
            .file("usr/bin/tool", "#!/bin/sh\n", 0755)
            .device("dev/nvidia0", true, 195, 0)
            .whiteout("etc/old.conf")
            .opaque("var/cache/app")
            .file("docker-entrypoint.sh", "#!/bin/sh\nexec docker -H unix:///var/run/docker.sock ps\n", 0755);
    private static final byte[] TAR = LAYER.tar();

    @Test
    void gzipZstdAndPlainTarGiveTheSameFindingsWhateverTheDeclaredMediaType() {
        LayerFindings gz = Scans.SCANNER.scan(Digest.sha256(TAR), "application/vnd.oci.image.layer.v1.tar",
                new ByteArrayInputStream(LayerBuilder.gzip(TAR)));
        LayerFindings zst = Scans.scan(LayerBuilder.zstd(TAR));
        LayerFindings plain = Scans.scan(TAR);
        assertThat(gz.compression()).isEqualTo("gzip");
        assertThat(zst.compression()).isEqualTo("zstd");
        assertThat(plain.compression()).isEqualTo("none");
        for (LayerFindings f : List.of(gz, zst, plain)) {
            assertThat(f.status()).isEqualTo(ScanStatus.COMPLETE);
            assertThat(f.files()).isEqualTo(gz.files());
            assertThat(f.expandedBytes()).isEqualTo(TAR.length);
        }
    }

    @Test
    void theFindingsRecordWhatTheMergeNeeds() {
        LayerFindings f = Scans.scan(LayerBuilder.gzip(TAR));
        assertThat(f.format()).isEqualTo(LayerFindings.FORMAT);
        assertThat(f.scanner()).isEqualTo(LayerScanner.VERSION);
        assertThat(f.knowledgeBase()).isEqualTo(Scans.KB.version());
        assertThat(f.symlinks()).containsEntry("/usr/lib/x86_64-linux-gnu/libcudart.so", "libcudart.so.12");
        assertThat(f.hardlinks()).containsEntry("/usr/bin/tool2", "/usr/bin/tool");
        assertThat(f.devices()).containsExactly(new DeviceEntry("/dev/nvidia0", "char", 195, 0));
        assertThat(f.whiteouts()).containsExactly("/etc/old.conf");
        assertThat(f.opaqueDirs()).containsExactly("/var/cache/app");
        assertThat(f.executables()).contains("/usr/bin/tool", "/docker-entrypoint.sh");
        assertThat(f.files()).contains(new FileFinding("/docker-entrypoint.sh", "docker.socket-script", "docker.sock"));
        assertThat(f.compressedBytes()).isEqualTo(LayerBuilder.gzip(TAR).length);
    }

    @Test
    void findingsSurviveAJsonRoundTrip() throws Exception {
        ObjectMapper mapper = HardwareJson.mapper();
        LayerFindings f = Scans.scan(LayerBuilder.gzip(TAR));
        String json = mapper.writeValueAsString(f);
        assertThat(mapper.readValue(json, LayerFindings.class)).isEqualTo(f);
        assertThat(json).doesNotContain("null").contains("\"format\":1");
        LayerFindings failed = Scans.scan(new byte[] {0x1F, (byte) 0x8B, 8, 0, 1, 2});
        assertThat(mapper.readValue(mapper.writeValueAsString(failed), LayerFindings.class)).isEqualTo(failed);
    }

    @Test
    void oneScannerServesConcurrentScans() throws Exception {
        byte[] gz = LayerBuilder.gzip(TAR);
        LayerFindings expected = Scans.scan(gz);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<LayerFindings>> futures = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                futures.add(pool.submit(() -> Scans.scan(gz)));
            }
            for (Future<LayerFindings> fu : futures) {
                assertThat(fu.get()).isEqualTo(expected);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void theCallersStreamIsNotClosed() {
        boolean[] closed = {false};
        ByteArrayInputStream in = new ByteArrayInputStream(LayerBuilder.gzip(TAR)) {
            @Override
            public void close() {
                closed[0] = true;
            }
        };
        Scans.SCANNER.scan(Digest.sha256(TAR), null, in);
        assertThat(closed[0]).isFalse();
        assertThat(in.available()).isZero();
    }
}
