package dev.gantry.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gantry.oci.MediaTypes;
import dev.gantry.testing.Awaits;
import dev.gantry.testing.DistributionRegistry;
import dev.gantry.testing.GantryServer;
import dev.gantry.testing.HtpasswdFile;
import dev.gantry.testing.Http;
import dev.gantry.testing.MutableClock;
import dev.gantry.testing.Pusher;
import dev.gantry.testing.TestImage;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Who reads what, cell by cell: four callers (anonymous; alice, whom the
 * rules name; bob, whom they do not; admin, whose rule covers every
 * repository) × three repositories (mirrored from a public upstream, mirrored
 * from a private one reached with credentials, hosted) × what can be read
 * (the manifest, a layer, the tags, the referrers, the hardware document,
 * the augmented view, and the same subject's content asked for under
 * another, public, repository name), with Basic credentials and with bearer
 * tokens from {@code /token}.
 * Upstreams are two real Distribution registries. The expected table is
 * written out below: any cell that changes fails.
 */
class AccessMatrixIT {

    /**
     * One row per repository and caller; columns: under the repository itself
     * (manifest, layer blob, tags list, referrers, hardware document,
     * augmented view), then under the public name {@value #OTHER} (the layer
     * blob, the referrers of the subject, a Gantry artifact of the subject,
     * that artifact's document blob, the hardware document and the augmented
     * view by subject digest). {@code 200:n}: an OCI index listing n referrers.
     */
    private static final String[] TABLE = {
        "#repo      caller     manifest blob tags referrers hardware view | other: blob referrers artifact document hardware view",
        "public     anonymous  200      200  200  200:2     200      200    404         200:0     404      404      404      404",
        "public     alice      200      200  200  200:2     200      200    404         200:0     404      404      404      404",
        "public     bob        200      200  200  200:2     200      200    404         200:0     404      404      404      404",
        "public     admin      200      200  200  200:2     200      200    404         200:0     404      404      404      404",
        "private    anonymous  401      401  401  401       401      401    404         200:0     404      404      404      404",
        "private    alice      200      200  200  200:2     200      200    404         200:0     404      404      404      404",
        "private    bob        403      403  403  403       403      403    404         200:0     404      404      404      404",
        "private    admin      200      200  200  200:2     200      200    404         200:0     404      404      404      404",
        "hosted     anonymous  401      401  401  401       401      401    404         200:0     404      404      404      404",
        "hosted     alice      200      200  200  200:2     200      200    404         200:0     404      404      404      404",
        "hosted     bob        403      403  403  403       403      403    404         200:0     404      404      404      404",
        "hosted     admin      200      200  200  200:2     200      200    404         200:0     404      404      404      404",
    };

    private static final String[] OPERATIONS = {
        "manifest", "blob", "tags", "referrers", "hardware", "view",
        "other blob", "other referrers", "other artifact", "other document", "other hardware", "other view",
    };

    /** A public name everyone may pull that holds none of the subjects' content. */
    private static final String OTHER = "pub.example/team/other";
    private static final Map<String, String> REPOSITORIES = Map.of(
            "public", "pub.example/team/app", "private", "priv.example/team/app", "hosted", "local/team/app");
    private static final Map<String, String> PASSWORDS = Map.of(
            "alice", "alice-Secret-1", "bob", "bob-Secret-2", "admin", "admin-Secret-3");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path tmp;

    private static DistributionRegistry publicHub;
    private static DistributionRegistry privateHub;
    private static GantryServer gantry;
    private static Http http;
    /** Per repository kind: what the cells ask for. */
    private static final Map<String, Subject> SUBJECTS = new LinkedHashMap<>();

    /** A repository's image, as the cells name its parts. */
    private record Subject(TestImage image, String artifact, String document) {
    }

    @BeforeAll
    static void start() throws Exception {
        publicHub = DistributionRegistry.start(tmp.resolve("public"));
        privateHub = DistributionRegistry.start(tmp.resolve("private"));
        Path htpasswd = HtpasswdFile.write(tmp.resolve("htpasswd"), PASSWORDS);
        gantry = GantryServer.start("""
                upstreams:
                  - name: pub.example
                    url: %s
                  - name: priv.example
                    url: %s
                    username: robot
                    password: robot-Secret-4
                hosted:
                  - prefix: local/
                auth:
                  htpasswd: %s
                  anonymousPull: true
                  rules:
                    - {prefix: "", users: [admin], actions: [pull, push, delete]}
                    - {prefix: priv.example/, users: [alice], actions: [pull]}
                    - {prefix: local/team/, users: [alice], actions: [pull, push, delete]}
                    - {prefix: pub.example/, users: [anonymous], actions: [pull]}
                prefetch: {mode: "off"}
                hardware: {waitBudget: 5s}
                """.formatted(publicHub.url(), privateHub.url(), htpasswd), tmp.resolve("gantry"), MutableClock.startingNow());
        http = new Http(gantry.url());

        Map<String, TestImage> images = Map.of(
                "public", TestImage.builder().seed(101).layer(3_000).build(),
                "private", TestImage.builder().seed(102).layer(3_000).build(),
                "hosted", TestImage.builder().seed(103).layer(3_000).build());
        new Pusher(publicHub.url()).push("team/app", "1", images.get("public"));
        new Pusher(privateHub.url()).push("team/app", "1", images.get("private"));
        pushAsAlice(REPOSITORIES.get("hosted"), images.get("hosted"));
        for (String kind : List.of("public", "private", "hosted")) {
            SUBJECTS.put(kind, scan(REPOSITORIES.get(kind), images.get(kind)));
        }
    }

    @AfterAll
    static void stop() {
        if (gantry != null) {
            gantry.close();
        }
        if (publicHub != null) {
            publicHub.close();
        }
        if (privateHub != null) {
            privateHub.close();
        }
    }

    static Stream<Arguments> cells() {
        List<Arguments> cells = new ArrayList<>();
        for (String scheme : List.of("basic", "bearer")) {
            for (String row : TABLE) {
                if (row.startsWith("#")) {
                    continue;
                }
                String[] f = row.trim().split("\\s+");
                assertThat(f).as("a row names a repository, a caller and every operation").hasSize(2 + OPERATIONS.length);
                for (int i = 0; i < OPERATIONS.length; i++) {
                    cells.add(Arguments.of(scheme, f[0], f[1], OPERATIONS[i], f[2 + i]));
                }
            }
        }
        return cells.stream();
    }

    @ParameterizedTest(name = "{0} {2} on {1}: {3} -> {4}")
    @MethodSource("cells")
    void eachCallerReadsExactlyWhatTheTableSays(String scheme, String kind, String caller, String operation, String expected)
            throws Exception {
        Subject s = SUBJECTS.get(kind);
        String repo = operation.startsWith("other ") ? OTHER : REPOSITORIES.get(kind);
        String path = "/v2/" + repo + switch (operation) {
            case "manifest" -> "/manifests/1";
            case "blob", "other blob" -> "/blobs/" + s.image().layers().get(0).digest();
            case "tags" -> "/tags/list";
            case "referrers", "other referrers" -> "/referrers/" + s.image().digest();
            case "hardware" -> "/_gantry/hardware/1";
            case "view" -> "/_gantry/manifests/1";
            case "other artifact" -> "/manifests/" + s.artifact();
            case "other document" -> "/blobs/" + s.document();
            case "other hardware" -> "/_gantry/hardware/" + s.image().digest();
            case "other view" -> "/_gantry/manifests/" + s.image().digest();
            default -> throw new IllegalArgumentException(operation);
        };
        String authorization = authorization(scheme, caller, repo);
        Http.Response r = authorization == null
                ? http.get(path, "Accept", MediaTypes.OCI_MANIFEST)
                : http.get(path, "Accept", MediaTypes.OCI_MANIFEST, "Authorization", authorization);

        String actual = String.valueOf(r.status());
        if (r.status() == 200 && operation.endsWith("referrers")) {
            actual += ":" + JSON.readTree(r.body()).path("manifests").size();
        }
        assertThat(actual).as("%s %s %s: %s", scheme, caller, path, r.text()).isEqualTo(expected);
        if (r.status() != 200) {
            for (String part : List.of(s.image().layers().get(0).digest().toString(), s.artifact(), s.document())) {
                if (!path.contains(part)) {
                    assertThat(r.text()).as("a refusal names nothing the request did not").doesNotContain(part);
                }
            }
        }
    }

    static Stream<Arguments> catalogCallers() {
        List<Arguments> out = new ArrayList<>();
        for (String ns : List.of("", "?ns=pub.example", "?ns=priv.example")) {
            out.add(Arguments.of("anonymous", ns, false));
            out.add(Arguments.of("bob", ns, false));
            out.add(Arguments.of("alice", ns, true));
            out.add(Arguments.of("admin", ns, true));
        }
        return out.stream();
    }

    /**
     * The catalog lists the hosted repository to exactly those who may pull it, whatever {@code ns} the request
     * carries: with {@code ?ns=pub.example} the name once resolved as a mirrored repository of that public
     * upstream, which anonymous callers may pull.
     */
    @ParameterizedTest(name = "{0} {1}: hosted listed {2}")
    @MethodSource("catalogCallers")
    void theCatalogListsAHostedRepositoryOnlyToThoseWhoMayPullItWhateverTheNs(String caller, String ns, boolean listed)
            throws Exception {
        Http.Response r = caller.equals("anonymous")
                ? http.get("/v2/_catalog" + ns)
                : http.get("/v2/_catalog" + ns, "Authorization", basic(caller));
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        List<String> names = new ArrayList<>();
        JSON.readTree(r.body()).path("repositories").forEach(n -> names.add(n.asText()));
        if (listed) {
            assertThat(names).as("catalog for %s%s", caller, ns).contains(REPOSITORIES.get("hosted"));
        } else {
            assertThat(names).as("catalog for %s%s", caller, ns).doesNotContain(REPOSITORIES.get("hosted"));
        }
    }

    /** Basic credentials, or a bearer token {@code /token} issued for exactly this repository; null for anonymous Basic. */
    private static String authorization(String scheme, String caller, String repo) throws IOException {
        String basic = caller.equals("anonymous") ? null : basic(caller);
        if (scheme.equals("basic")) {
            return basic;
        }
        String tokenPath = "/token?service=gantry&scope=repository:" + repo + ":pull";
        Http.Response t = basic == null ? http.get(tokenPath) : http.get(tokenPath, "Authorization", basic);
        assertThat(t.status()).as(t.text()).isEqualTo(200);
        return "Bearer " + JSON.readTree(t.body()).path("token").asText();
    }

    private static String basic(String user) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + PASSWORDS.get(user)).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Has the admin read the image's hardware document (which scans it and
     * links its artifacts to the repository), then notes a Gantry artifact
     * of it and that artifact's document blob.
     */
    private static Subject scan(String repo, TestImage image) throws Exception {
        String admin = basic("admin");
        Http.Response doc = Awaits.until(() -> http.get("/v2/" + repo + "/_gantry/hardware/1", "Authorization", admin),
                r -> r.status() != 202, Duration.ofSeconds(60));
        assertThat(doc.status()).as("hardware of %s: %s", repo, doc.text()).isEqualTo(200);
        JsonNode referrers = JSON.readTree(http.get("/v2/" + repo + "/referrers/" + image.digest(), "Authorization", admin).body());
        String artifact = referrers.path("manifests").path(0).path("digest").asText();
        Http.Response manifest = http.get("/v2/" + repo + "/manifests/" + artifact, "Accept", MediaTypes.OCI_MANIFEST,
                "Authorization", admin);
        assertThat(manifest.status()).as("artifact of %s", repo).isEqualTo(200);
        String document = JSON.readTree(manifest.body()).at("/layers/0/digest").asText();
        assertThat(http.get("/v2/" + repo + "/blobs/" + document, "Authorization", admin).status()).isEqualTo(200);
        return new Subject(image, artifact, document);
    }

    /** Pushes an image to a hosted repository through Gantry, as alice (monolithic uploads). */
    private static void pushAsAlice(String repo, TestImage image) throws Exception {
        HttpClient client = HttpClient.newHttpClient();
        String auth = basic("alice");
        for (TestImage.Blob b : image.blobs()) {
            HttpResponse<String> start = client.send(HttpRequest.newBuilder(URI.create(gantry.url() + "/v2/" + repo + "/blobs/uploads/"))
                    .header("Authorization", auth).POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(start.statusCode()).as(start.body()).isEqualTo(202);
            URI location = URI.create(gantry.url()).resolve(start.headers().firstValue("Location").orElseThrow());
            String sep = location.getRawQuery() == null ? "?" : "&";
            HttpResponse<String> put = client.send(HttpRequest.newBuilder(URI.create(location + sep + "digest=" + b.digest()))
                    .header("Authorization", auth).header("Content-Type", "application/octet-stream")
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(b.bytes())).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(put.statusCode()).as(put.body()).isEqualTo(201);
        }
        HttpResponse<String> m = client.send(HttpRequest.newBuilder(URI.create(gantry.url() + "/v2/" + repo + "/manifests/1"))
                .header("Authorization", auth).header("Content-Type", image.manifest().mediaType())
                .PUT(HttpRequest.BodyPublishers.ofByteArray(image.manifest().bytes())).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(m.statusCode()).as(m.body()).isEqualTo(201);
    }
}
