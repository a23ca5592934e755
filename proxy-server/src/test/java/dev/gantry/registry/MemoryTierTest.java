package dev.gantry.registry;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.gantry.config.ConfigException;
import dev.gantry.oci.Digest;
import dev.gantry.testing.Awaits;
import dev.gantry.testing.GantryServer;
import dev.gantry.testing.Http;
import dev.gantry.testing.MutableClock;
import io.netty.util.internal.PlatformDependent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The memory tier in front of disk: small hot blobs come straight from memory. */
class MemoryTierTest {

    @TempDir
    Path tmp;

    private WireMockServer upstream;
    private GantryServer gantry;

    @BeforeEach
    void start() {
        upstream = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        upstream.start();
    }

    @AfterEach
    void stop() {
        if (gantry != null) {
            gantry.close();
        }
        upstream.stop();
    }

    private Digest serve(int size, long seed) {
        byte[] blob = new byte[size];
        new Random(seed).nextBytes(blob);
        Digest d = Digest.sha256(blob);
        upstream.stubFor(get(urlPathEqualTo("/v2/test/x/blobs/" + d)).willReturn(aResponse()
                .withHeader("Content-Length", Integer.toString(size)).withBody(blob)));
        return d;
    }

    private void startGantry(String memory) {
        gantry = GantryServer.start("upstreams:\n  - name: docker.io\n    url: " + upstream.baseUrl() + "\n    default: true\n"
                + "storage:\n  memory: " + memory + "\n  disk:\n    path: " + tmp.resolve("data") + "\n", tmp, MutableClock.startingNow());
    }

    private void awaitInMemory(Digest d) {
        Awaits.until(() -> gantry.gantry().memory().statNow(d).isPresent(), Duration.ofSeconds(5), d + " offered to memory");
    }

    @Test
    void aSmallBlobIsServedFromMemoryWithoutTouchingDisk() throws Exception {
        startGantry("{maxBytes: 16MiB, maxBlobBytes: 1MiB}");
        Digest d = serve(300_000, 1);
        Http http = new Http(gantry.url());
        assertThat(http.get("/v2/test/x/blobs/" + d).status()).isEqualTo(200);
        awaitInMemory(d);

        // Take the disk copy away behind the store's back: only memory can answer now.
        Files.delete(gantry.gantry().disk().pathOf(d));
        Http.Response r = http.get("/v2/test/x/blobs/" + d);
        assertThat(r.status()).isEqualTo(200);
        assertThat(Digest.sha256(r.body())).isEqualTo(d);
        assertThat(r.header("X-Gantry-Cache")).isEqualTo("hit");
        Http.Response range = http.get("/v2/test/x/blobs/" + d, "Range", "bytes=10-19");
        assertThat(range.status()).isEqualTo(206);
        assertThat(range.body()).hasSize(10);
    }

    @Test
    void aBlobOverMaxBlobBytesNeverEntersMemory() throws Exception {
        startGantry("{maxBytes: 16MiB, maxBlobBytes: 100KiB}");
        Digest d = serve(300_000, 2);
        Http http = new Http(gantry.url());
        for (int i = 0; i < 3; i++) {
            assertThat(Digest.sha256(http.get("/v2/test/x/blobs/" + d).body())).isEqualTo(d);
        }
        // The event to assert absence against: a small blob pulled after it was offered to memory,
        // so the offers made on the way (fill commit, disk hits) have run.
        Digest small = serve(1000, 3);
        assertThat(http.get("/v2/test/x/blobs/" + small).status()).isEqualTo(200);
        awaitInMemory(small);
        assertThat(gantry.gantry().memory().statNow(d)).isEmpty();
    }

    @Test
    void aMemoryTierThatLeavesNoDirectMemoryForTheNetworkIsRefusedAtStartUpByName() {
        long tooMuch = PlatformDependent.maxDirectMemory() / (1 << 20) - 16;
        assertThatThrownBy(() -> startGantry("{maxBytes: " + tooMuch + "MiB}"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("storage.memory.maxBytes")
                .hasMessageContaining("GANTRY_JAVA_OPTS=-XX:MaxDirectMemorySize=");
    }
}
