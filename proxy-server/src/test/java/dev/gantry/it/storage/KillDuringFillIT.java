package dev.gantry.it.storage;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.gantry.oci.Digest;
import dev.gantry.oci.RegistryException;
import dev.gantry.testing.GantryProcess;
import dev.gantry.testing.MirrorWithBucket;
import dev.gantry.testing.Http;
import dev.gantry.testing.RawClient;
import dev.gantry.testing.S3ProxyServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.async.AsyncResponseTransformer;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * SIGKILL during fills (while the blob streams in from upstream, while it is
 * committed, while it goes up to S3), many times over: after every restart,
 * no partial blob is visible, and every blob served, on disk or in S3, hashes
 * to its digest.
 */
class KillDuringFillIT {

    private static final int ROUNDS = 8;

    @TempDir
    static Path tmp;

    static WireMockServer upstream;
    static S3ProxyServer s3;
    static GantryProcess gantry;
    static final List<Digest> digests = new ArrayList<>();

    @BeforeAll
    static void start() {
        upstream = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        upstream.start();
        for (int i = 0; i < ROUNDS; i++) {
            byte[] blob = new byte[8_000_000 + i];
            new Random(i).nextBytes(blob);
            Digest d = Digest.sha256(blob);
            digests.add(d);
            upstream.stubFor(get(urlPathEqualTo("/v2/test/crash/blobs/" + d)).willReturn(aResponse()
                    .withHeader("Content-Length", Integer.toString(blob.length)).withBody(blob).withChunkedDribbleDelay(40, 1200)));
        }
        s3 = S3ProxyServer.start(tmp.resolve("s3"));
        s3.createBucket(MirrorWithBucket.BUCKET);
        gantry = GantryProcess.start(tmp.resolve("gantry"), MirrorWithBucket.yaml(upstream.baseUrl(), tmp.resolve("gantry/data"), "", s3, ""));
    }

    @AfterAll
    static void stop() {
        gantry.close();
        s3.close();
        upstream.stop();
    }

    @Test
    void noPartialBlobIsEverVisibleOrServedAfterAKill() throws Exception {
        Random when = new Random(42);
        for (int round = 0; round < ROUNDS; round++) {
            Digest d = digests.get(round);
            try (RawClient client = RawClient.get(gantry.hostPort(), "/v2/test/crash/blobs/" + d, 0)) {
                assertThat(client.status()).isEqualTo(200);
                // Kill at a different moment each round: early, mid-stream, at the end, during the upload.
                Thread.sleep(100 + when.nextInt(1900));
                gantry.kill9();
            }
            gantry.restart();
            assertThat(spoolFiles()).as("round %d: spool after restart", round).isZero();
            assertEveryStoredBlobIsWhole();
            Http.Response served = new Http(gantry.url()).get("/v2/test/crash/blobs/" + d);
            assertThat(served.status()).isEqualTo(200);
            assertThat(Digest.sha256(served.body())).as("round %d: served after the restart", round).isEqualTo(d);
        }
        assertEveryStoredBlobIsWhole();
    }

    private static long spoolFiles() throws Exception {
        Path spool = tmp.resolve("gantry/data/spool");
        try (Stream<Path> s = Files.list(spool)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".part")).count();
        }
    }

    private static void assertEveryStoredBlobIsWhole() throws Exception {
        Path blobs = tmp.resolve("gantry/data/blobs/sha256");
        if (Files.exists(blobs)) {
            try (Stream<Path> files = Files.walk(blobs)) {
                for (Path p : files.filter(Files::isRegularFile).toList()) {
                    Digest d = Digest.parse("sha256:" + p.getFileName());
                    assertThat(d.matches(Files.readAllBytes(p))).as("disk blob %s", d).isTrue();
                }
            }
        }
        try (S3AsyncClient c = s3.client()) {
            for (S3Object o : c.listObjectsV2(b -> b.bucket("gantry").prefix("blobs/")).join().contents()) {
                if (o.key().endsWith("/")) {
                    continue; // a directory placeholder of S3Proxy's filesystem backend
                }
                Digest d;
                try {
                    d = Digest.parse(o.key().substring("blobs/".length()).replace('/', ':'));
                } catch (RegistryException e) {
                    // S3Proxy's filesystem backend writes "<key>-<uuid>" beside the key and renames it
                    // into place; a listing taken while the restarted Gantry copies a blob up shows it.
                    // Real S3 never lists an object before it is whole; the key itself is checked below.
                    continue;
                }
                byte[] bytes = c.getObject(r -> r.bucket("gantry").key(o.key()), AsyncResponseTransformer.toBytes()).join().asByteArray();
                assertThat(d.matches(bytes)).as("S3 blob %s", d).isTrue();
            }
        }
    }
}
