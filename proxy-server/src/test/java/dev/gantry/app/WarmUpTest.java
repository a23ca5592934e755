package dev.gantry.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.oci.Digest;
import dev.gantry.testing.GantryServer;
import dev.gantry.testing.HtpasswdFile;
import dev.gantry.testing.Http;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code server.warmUp}: a process that holds hosted images has served
 * their blobs to itself before it reports ready; with the warm-up off, it
 * has served nothing.
 */
class WarmUpTest {

    private static final String AUTH = "Basic " + Base64.getEncoder().encodeToString("alice:pw".getBytes(StandardCharsets.UTF_8));

    @TempDir
    Path tmp;

    @Test
    void aRestartedServerHoldingAnImageHasServedItsBlobsBeforeItIsReady() {
        pushAnImage();
        try (GantryServer g = GantryServer.start(config("1s"), tmp, Clock.systemUTC())) {
            assertThat(blobGets(g)).as("blob GETs answered before the first client's request").isPositive();
        }
    }

    @Test
    void withTheWarmUpOffNothingIsServedBeforeReady() {
        pushAnImage();
        try (GantryServer g = GantryServer.start(config("0s"), tmp, Clock.systemUTC())) {
            assertThat(blobGets(g)).isZero();
        }
    }

    private void pushAnImage() {
        try (GantryServer g = GantryServer.start(config("1s"), tmp, Clock.systemUTC())) {
            Http http = new Http(g.url());
            byte[] layer = new byte[200_000];
            byte[] cfg = "{\"architecture\":\"amd64\",\"os\":\"linux\"}".getBytes(StandardCharsets.UTF_8);
            push(http, layer);
            push(http, cfg);
            String manifest = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                    + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + Digest.sha256(cfg)
                    + "\",\"size\":" + cfg.length + "},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\","
                    + "\"digest\":\"" + Digest.sha256(layer) + "\",\"size\":" + layer.length + "}]}";
            Http.Response put = http.send("PUT", "/v2/local/app/manifests/1", manifest.getBytes(StandardCharsets.UTF_8),
                    "Authorization", AUTH, "Content-Type", "application/vnd.oci.image.manifest.v1+json");
            assertThat(put.status()).as(put.text()).isEqualTo(201);
            assertThat(blobGets(g)).as("the first start held nothing to warm").isZero();
        }
    }

    private static void push(Http http, byte[] blob) {
        Http.Response r = http.send("POST", "/v2/local/app/blobs/uploads/?digest=" + Digest.sha256(blob), blob, "Authorization", AUTH);
        assertThat(r.status()).as(r.text()).isEqualTo(201);
    }

    /** GETs of blobs answered 200 so far, from the server's own metrics. */
    private static double blobGets(GantryServer g) {
        String metrics = new Http(g.url()).get("/metrics").text();
        return metrics.lines()
                .filter(l -> l.startsWith("gantry_http_requests_total{") && l.contains("route=\"blob\"")
                        && l.contains("method=\"GET\"") && l.contains("status=\"200\""))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .sum();
    }

    private String config(String warmUp) {
        Path htpasswd = HtpasswdFile.write(tmp.resolve("htpasswd"), Map.of("alice", "pw"));
        return "hosted:\n  - prefix: local/\nauth:\n  htpasswd: " + htpasswd + "\nserver:\n  accessLog: false\n  warmUp: " + warmUp
                + "\nstorage:\n  disk:\n    path: " + tmp.resolve("data") + "\n";
    }
}
