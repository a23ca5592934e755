package dev.gantry.http;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.gantry.testing.GantryServer;
import dev.gantry.testing.Http;
import dev.gantry.testing.MutableClock;
import dev.gantry.testing.RawClient;
import dev.gantry.testing.Trees;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Bad input gets the right OCI error, never a 500; it never reaches the
 * upstream, never touches a path outside the store, and the server keeps
 * serving.
 */
class BadInputTest {

    private static final String DIGEST = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    @TempDir
    static Path tmp;

    static WireMockServer upstream;
    static GantryServer gantry;
    static Http http;

    @BeforeAll
    static void start() {
        upstream = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        upstream.start();
        upstream.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(404)));
        gantry = GantryServer.mirroring(upstream.baseUrl(), tmp.resolve("data"), MutableClock.startingNow());
        http = new Http(gantry.url());
    }

    @AfterAll
    static void stop() {
        gantry.close();
        upstream.stop();
    }

    @ParameterizedTest(name = "{0} {1} -> {2} {3}")
    @CsvSource(delimiter = '|', value = {
        "GET    | /v2/Library/alpine/manifests/latest                | 400 | NAME_INVALID",
        "GET    | /v2/library/../alpine/manifests/latest             | 400 | NAME_INVALID",
        "GET    | /v2/library/%2e%2e/alpine/manifests/latest         | 400 | NAME_INVALID",
        "GET    | /v2/library/%2E%2E/%2E%2E/etc/blobs/" + DIGEST + " | 400 | NAME_INVALID",
        "GET    | /v2/a%2Fb/manifests/latest                         | 400 | NAME_INVALID",
        "GET    | /v2/-bad/manifests/latest                          | 400 | NAME_INVALID",
        "GET    | /v2/library/alpine/blobs/sha256:abc                | 400 | DIGEST_INVALID",
        "GET    | /v2/library/alpine/blobs/sha256:" + "A" + "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa | 400 | DIGEST_INVALID",
        "GET    | /v2/library/alpine/blobs/md5:d41d8cd98f00b204e9800998ecf8427e | 400 | DIGEST_INVALID",
        "GET    | /v2/library/alpine/blobs/notadigest                | 400 | DIGEST_INVALID",
        "GET    | /v2/library/alpine/manifests/sha256:123            | 400 | DIGEST_INVALID",
        "GET    | /v2/library/alpine/manifests/.hidden               | 404 | MANIFEST_UNKNOWN",
        "PUT    | /v2/library/alpine/manifests/.hidden               | 400 | MANIFEST_INVALID",
        "GET    | /v2/library/alpine/manifests/latest?ns=evil.example | 404 | NAME_UNKNOWN",
        "GET    | /v2/evil.example/alpine/manifests/latest           | 404 | NAME_UNKNOWN",
        "GET    | /v2/localhost:9999/alpine/manifests/latest         | 404 | NAME_UNKNOWN",
        "PUT    | /v2/library/alpine/manifests/latest                | 405 | UNSUPPORTED",
        "DELETE | /v2/library/alpine/manifests/" + DIGEST + "        | 405 | UNSUPPORTED",
        "POST   | /v2/library/alpine/blobs/uploads/                  | 405 | UNSUPPORTED",
        "DELETE | /v2/library/alpine/blobs/" + DIGEST + "            | 405 | UNSUPPORTED",
        "GET    | /v2/library/alpine/tags/list?n=-1                  | 400 | UNSUPPORTED",
        "GET    | /v2/library/alpine/nonsense                        | 404 | UNSUPPORTED",
        "GET    | /etc/passwd                                        | 404 | UNSUPPORTED",
    })
    void answersWithTheRightOciErrorAndNeverAsksUpstream(String method, String path, int status, String code) {
        upstream.resetRequests();
        Http.Response r = http.send(method, path);
        assertThat(r.status()).isEqualTo(status);
        assertThat(r.header("Content-Type")).isEqualTo("application/json");
        assertThat(r.text()).contains("\"code\":\"" + code + "\"");
        assertThat(upstream.getAllServeEvents()).as("requests that reached the upstream").isEmpty();
        assertThat(http.get("/healthz").status()).isEqualTo(200);
    }

    /**
     * A percent-escape that does not decode, in the path or the query, sent as is on a socket (Java's URI refuses to
     * build such a request): 400 with an OCI error before anything is routed, the connection kept.
     */
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "/v2/library/alpine/manifests/latest?ns=%   | UNSUPPORTED",
        "/v2/library/alpine/manifests/latest?ns=%zz | UNSUPPORTED",
        "/v2/_catalog?n=%G1                         | UNSUPPORTED",
        "/v2/_gantry/status?history=%               | UNSUPPORTED",
        "/v2/library/alpine/blobs/%zz               | NAME_INVALID",
        "/v2/library/al%pine/manifests/latest       | NAME_INVALID",
    })
    void aMalformedPercentEscapeIs400AndNeverAsksUpstream(String path, String code) {
        upstream.resetRequests();
        try (RawClient c = RawClient.connect("127.0.0.1:" + gantry.gantry().address().getPort())) {
            String request = "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n";
            c.write(request + request);
            for (int i = 0; i < 2; i++) { // the second answer shows the connection was kept
                c.awaitResponseHead();
                assertThat(c.status()).as("response %d to %s", i + 1, path).isEqualTo(400);
                String body = new String(c.read((int) c.contentLength()), StandardCharsets.UTF_8);
                assertThat(body).contains("\"code\":\"" + code + "\"");
            }
        }
        assertThat(upstream.getAllServeEvents()).as("requests that reached the upstream").isEmpty();
        assertThat(http.get("/healthz").status()).isEqualTo(200);
    }

    /** A browser that opens what the registry serves (a manifest, an error) neither sniffs a type nor runs it. */
    @Test
    void registryAnswersTellBrowsersTheyAreDataNotPages() {
        for (String path : new String[] {"/v2/", "/v2/library/alpine/manifests/latest", "/v2/Library/x/tags/list"}) {
            Http.Response r = http.get(path, "Accept", "text/html");
            assertThat(r.header("X-Content-Type-Options")).as("nosniff on %s", path).isEqualTo("nosniff");
            assertThat(r.header("Content-Security-Policy")).as("CSP on %s", path).isEqualTo("default-src 'none'; sandbox");
        }
    }

    @Test
    void aMethodARouteDoesNotAnswerIs405NamingTheMethodsItDoes() {
        upstream.resetRequests();
        Http.Response r = http.send("PATCH", "/v2/library/alpine/manifests/latest");
        assertThat(r.status()).isEqualTo(405);
        assertThat(r.header("Allow")).isEqualTo("GET, HEAD, PUT, DELETE");
        assertThat(r.text()).contains("\"code\":\"UNSUPPORTED\"");
        assertThat(upstream.getAllServeEvents()).as("requests that reached the upstream").isEmpty();
    }

    @Test
    void aNameOver255CharactersIsInvalid() {
        String name = "a/".repeat(128) + "b";
        Http.Response r = http.get("/v2/" + name + "/manifests/latest");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.text()).contains("NAME_INVALID").contains("255");
    }

    @Test
    void pushesToAMirroredRepositorySayWhichNamespacesAcceptThem() {
        Http.Response r = http.send("PUT", "/v2/library/alpine/manifests/latest");
        assertThat(r.text()).contains("mirrored read-only").contains("hosted namespaces");
        assertThat(r.status()).isEqualTo(405);
    }

    @Test
    void aRequestLineOverTheLimitIs414AndTheServerKeepsServing() throws IOException {
        try (Socket s = new Socket("127.0.0.1", gantry.gantry().address().getPort())) {
            OutputStream out = s.getOutputStream();
            out.write(("GET /v2/" + "x".repeat(20_000) + " HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            String response = new String(in.readNBytes(12), StandardCharsets.US_ASCII);
            assertThat(response).startsWith("HTTP/1.1 414");
        }
        assertThat(http.get("/healthz").status()).isEqualTo(200);
    }

    @Test
    void aMalformedRequestLineIs400() throws IOException {
        try (Socket s = new Socket("127.0.0.1", gantry.gantry().address().getPort())) {
            s.getOutputStream().write("NOT A REQUEST\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            String response = new String(s.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
            assertThat(response).startsWith("HTTP/1.1 400");
        }
        assertThat(http.get("/healthz").status()).isEqualTo(200);
    }

    @Test
    void nothingIsEverWrittenOutsideTheStore() throws IOException {
        for (String p : new String[] {"/v2/..%2F..%2F..%2Ftmp%2Fpwned/manifests/x", "/v2/x/blobs/sha256:..%2F..%2F..%2Ftmp%2Fpwned",
            "/v2/x/manifests/..%2F..%2Fpwned", "/v2/x/tags/list?last=..%2F..%2Fpwned"}) {
            assertThat(http.get(p).status()).isBetween(400, 499);
        }
        assertThat(Files.exists(Path.of("/tmp/pwned"))).isFalse();
        assertThat(Trees.paths(tmp)).noneMatch(p -> p.getFileName().toString().contains("pwned"));
    }
}
