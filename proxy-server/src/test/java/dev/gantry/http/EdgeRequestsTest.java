package dev.gantry.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.oci.Digest;
import dev.gantry.testing.GantryServer;
import dev.gantry.testing.HtpasswdFile;
import dev.gantry.testing.Http;
import dev.gantry.testing.MutableClock;
import dev.gantry.testing.RawClient;
import dev.gantry.testing.ScriptedUpstream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The edges of a request: credentials that name nobody, heads too large or
 * too slow to arrive, and the {@code OCI-Namespace} answer to {@code ?ns=}.
 */
class EdgeRequestsTest {

    /** {@code Basic} with an empty user and an empty password. */
    private static final String EMPTY_BASIC = "Basic Og==";

    @TempDir
    Path tmp;

    private ScriptedUpstream upstream;
    private GantryServer gantry;
    private Http http;
    private final byte[] blob = new byte[10_000];
    private Digest digest;

    @BeforeEach
    void start() throws Exception {
        new Random(1).nextBytes(blob);
        digest = Digest.sha256(blob);
        upstream = new ScriptedUpstream(req -> req.path().endsWith("/blobs/" + digest)
                ? ScriptedUpstream.Answer.of(200, Map.of("Content-Length", Integer.toString(blob.length)),
                        req.method().equals("HEAD") ? new byte[0] : blob, false)
                : ScriptedUpstream.Answer.of(404, Map.of("Content-Length", "0"), new byte[0], false));
        Path htpasswd = HtpasswdFile.write(tmp.resolve("htpasswd"), Map.of("alice", "alice-Secret-1"));
        gantry = GantryServer.start("""
                upstreams:
                  - name: docker.io
                    url: %s
                    default: true
                  - name: quay.example
                    url: %s
                hosted:
                  - prefix: local/
                auth:
                  htpasswd: %s
                server:
                  headerTimeout: 500ms
                """.formatted(upstream.url(), upstream.url(), htpasswd), tmp.resolve("data"), MutableClock.startingNow());
        http = new Http(gantry.url());
    }

    @AfterEach
    void stop() throws Exception {
        gantry.close();
        upstream.close();
    }

    // ---- Basic with an empty user and password ------------------------------------------------

    @Test
    void anEmptyBasicCredentialPullsAsAnonymous() {
        Http.Response r = http.get("/v2/test/x/blobs/" + digest, "Authorization", EMPTY_BASIC);

        assertThat(r.status()).isEqualTo(200);
        assertThat(Digest.sha256(r.body())).isEqualTo(digest);
    }

    @Test
    void anEmptyBasicCredentialStillCannotPush() {
        Http.Response r = http.send("POST", "/v2/local/app/blobs/uploads/", "Authorization", EMPTY_BASIC);

        assertThat(r.status()).isEqualTo(401);
        assertThat(r.text()).contains("UNAUTHORIZED");
        assertThat(r.header("WWW-Authenticate")).contains("repository:local/app:pull,push");
    }

    @Test
    void aBasicCredentialWithAWrongPasswordIsStillRefused() {
        String wrong = "Basic " + java.util.Base64.getEncoder().encodeToString("alice:wrong".getBytes());
        assertThat(http.get("/v2/test/x/blobs/" + digest, "Authorization", wrong).status()).isEqualTo(401);
    }

    // ---- OCI-Namespace -------------------------------------------------------------------------

    @Test
    void aRequestWhoseNsSelectedTheUpstreamCarriesOciNamespace() {
        Http.Response scoped = http.get("/v2/test/x/blobs/" + digest + "?ns=quay.example");
        assertThat(scoped.status()).isEqualTo(200);
        assertThat(scoped.header("OCI-Namespace")).isEqualTo("quay.example");

        Http.Response missing = http.get("/v2/test/x/blobs/sha256:" + "b".repeat(64) + "?ns=quay.example");
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.header("OCI-Namespace")).as("errors of a scoped request too").isEqualTo("quay.example");

        assertThat(http.get("/v2/test/x/blobs/" + digest).header("OCI-Namespace")).as("no ns, no header").isNull();
        Http.Response unknown = http.get("/v2/test/x/blobs/" + digest + "?ns=evil.example");
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.header("OCI-Namespace")).as("an ns that selected nothing is not echoed").isNull();
    }

    // ---- heads too large or too slow -----------------------------------------------------------

    @Test
    void aHeaderBlockOverTheLimitIs431() {
        try (RawClient c = RawClient.connect(gantry.hostPort())) {
            c.write("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(100_000) + "\r\n\r\n").awaitResponseHead();
            assertThat(c.status()).isEqualTo(431);
            assertThat(c.header("Content-Type")).isEqualTo("application/json");
            assertThat(c.awaitClosedByServer()).isTrue();
        }
        assertThat(http.get("/healthz").status()).isEqualTo(200);
    }

    @Test
    void aRequestLineOverTheLimitIs414() {
        try (RawClient c = RawClient.connect(gantry.hostPort())) {
            c.write("GET /v2/" + "x".repeat(20_000) + " HTTP/1.1\r\nHost: x\r\n\r\n").awaitResponseHead();
            assertThat(c.status()).isEqualTo(414);
            assertThat(c.awaitClosedByServer()).isTrue();
        }
        assertThat(http.get("/healthz").status()).isEqualTo(200);
    }

    @Test
    void aClientThatStallsMidHeaderGets408AndIsClosed() {
        try (RawClient c = RawClient.connect(gantry.hostPort())) {
            long start = System.nanoTime();
            c.write("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n").awaitResponseHead();
            long waitedMillis = (System.nanoTime() - start) / 1_000_000;

            assertThat(c.status()).isEqualTo(408);
            assertThat(c.header("Connection")).isEqualTo("close");
            assertThat(c.awaitClosedByServer()).isTrue();
            assertThat(waitedMillis).as("the 500 ms head deadline, not the 120 s idle timer").isBetween(400L, 10_000L);
        }
    }

    @Test
    void aConnectionIdleBetweenRequestsOutlivesTheHeadDeadline() {
        try (RawClient idle = RawClient.connect(gantry.hostPort())) {
            idle.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").awaitResponseHead();
            assertThat(idle.status()).isEqualTo(200);
            idle.readRest(0);

            // A connection opened after it stalls mid-header: once that one is cut, the idle one
            // has been idle for longer than the head deadline.
            try (RawClient stalled = RawClient.connect(gantry.hostPort())) {
                stalled.write("GET /healthz HTTP/1.1\r\n").awaitResponseHead();
                assertThat(stalled.status()).isEqualTo(408);
            }

            idle.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").awaitResponseHead();
            assertThat(idle.status()).isEqualTo(200);
        }
    }

    @Test
    void aRequestRefusedBeforeItsBodyWasReadStillGetsItsResponseWhileTheBodyKeepsComing() throws Exception {
        // A client PUTting 5 MiB without credentials is answered 401 before its body is read. Closing
        // then, with the body still arriving, made the kernel reset the connection, and the reset
        // destroyed the 401 the client had not read yet (seen as "header parser received no bytes").
        int size = 5 << 20;
        try (Socket socket = new Socket("127.0.0.1", Integer.parseInt(gantry.hostPort().split(":")[1]))) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("PUT /v2/local/app/blobs/uploads/00000000-0000-0000-0000-000000000000?digest=" + digest
                    + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: " + size
                    + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            byte[] chunk = new byte[64 << 10];
            for (int sent = 0; sent < size; sent += chunk.length) {
                out.write(chunk);
            }
            out.flush();
            String head = new String(socket.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
            assertThat(head).isEqualTo("HTTP/1.1 401");
        }
    }
}
