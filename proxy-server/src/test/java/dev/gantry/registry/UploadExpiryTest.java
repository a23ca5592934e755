package dev.gantry.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.testing.GantryServer;
import dev.gantry.testing.HtpasswdFile;
import dev.gantry.testing.Http;
import dev.gantry.testing.MutableClock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Upload sessions left idle expire, and take their spool files with them. */
class UploadExpiryTest {

    @TempDir
    Path tmp;

    @Test
    void anIdleUploadSessionExpiresAndItsSpoolIsRemoved() throws Exception {
        MutableClock clock = MutableClock.startingNow();
        Path htpasswd = HtpasswdFile.write(tmp.resolve("htpasswd"), Map.of("alice", "pw"));
        try (GantryServer gantry = GantryServer.start("hosted:\n  - prefix: local/\nauth:\n  htpasswd: " + htpasswd
                + "\ncache:\n  uploadExpiry: 30m\nstorage:\n  disk:\n    path: " + tmp.resolve("data") + "\n", tmp, clock)) {
            Http http = new Http(gantry.url());
            String auth = "Basic " + Base64.getEncoder().encodeToString("alice:pw".getBytes(StandardCharsets.UTF_8));
            Http.Response started = http.send("POST", "/v2/local/app/blobs/uploads/", "Authorization", auth);
            assertThat(started.status()).isEqualTo(202);
            String location = started.header("Location");
            assertThat(spoolFiles()).isEqualTo(1);

            clock.advance(Duration.ofMinutes(20));
            assertThat(gantry.gantry().registry().expireUploads()).isZero();
            assertThat(http.get(location, "Authorization", auth).status()).as("used: idle time starts again").isEqualTo(204);

            clock.advance(Duration.ofMinutes(31));
            assertThat(gantry.gantry().registry().expireUploads()).isEqualTo(1);
            Http.Response gone = http.get(location, "Authorization", auth);
            assertThat(gone.status()).isEqualTo(404);
            assertThat(gone.text()).contains("BLOB_UPLOAD_UNKNOWN");
            assertThat(spoolFiles()).isZero();
        }
    }

    private long spoolFiles() throws Exception {
        try (Stream<Path> s = Files.list(tmp.resolve("data/spool"))) {
            return s.filter(p -> p.toString().endsWith(".part")).count();
        }
    }
}
