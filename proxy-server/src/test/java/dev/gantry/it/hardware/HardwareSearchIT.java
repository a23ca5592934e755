package dev.gantry.it.hardware;

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
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code /v2/_gantry/search} over real images (compiled programs, a Debian
 * package, a CUDA runtime) pulled through Gantry from two real Distribution
 * registries — a public one and a private one reached with credentials —
 * and pushed to a hosted repository. Nobody asks for a hardware document
 * before the catalog lists every image: documents come from the background
 * scans of the pulls. Each filter's expected results are computed here from
 * the images' documents, never written out.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HardwareSearchIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, String> PASSWORDS = Map.of("alice", "alice-Secret-1", "bob", "bob-Secret-2");
    private static final Pattern NEXT = Pattern.compile("<([^>]+)>; rel=\"next\"");

    @TempDir
    static Path tmp;

    static DistributionRegistry publicHub;
    static DistributionRegistry privateHub;
    static GantryServer gantry;
    static Http http;
    static final MutableClock clock = MutableClock.startingNow();

    /** {@code repository@platform-manifest} → that platform's hardware document. */
    static final Map<String, JsonNode> documents = new LinkedHashMap<>();
    /** The platform manifests each repository's tag 1 names. */
    static final Map<String, List<String>> platforms = new LinkedHashMap<>();
    static final Map<String, String> indexes = new LinkedHashMap<>();
    /** Referrers as listed right after the background scans, before anyone asked for a document. */
    static final Map<String, JsonNode> referrersAfterPull = new LinkedHashMap<>();
    static String discoverIndex;
    static List<String> discoverPlatforms;

    @BeforeAll
    static void start() throws Exception {
        publicHub = DistributionRegistry.start(tmp.resolve("public"));
        privateHub = DistributionRegistry.start(tmp.resolve("private"));
        startGantry();

        Pusher pub = new Pusher(publicHub.url());
        TestImage vectorAmd = SearchImages.program(tmp, "vector", "gcc", "amd64", 11, "-march=x86-64-v3");
        TestImage vectorArm = SearchImages.program(tmp, "vector-a64", "aarch64-linux-gnu-gcc", "arm64", 12);
        pub.push("tools/vector", "1", TestImage.Index.of(List.of(vectorAmd, vectorArm), false));
        pub.push("tools/avx512", "1", SearchImages.program(tmp, "avx512", "gcc", "amd64", 13, "-march=x86-64-v4"));
        pub.push("tools/base", "1", SearchImages.program(tmp, "base", "gcc", "amd64", 14));
        pub.push("gpu/cuda", "1", SearchImages.cuda(tmp, "cuda", 15, "-march=x86-64-v2"));
        pub.push("sound/alsa", "1", SearchImages.debian(tmp, "libasound2", 16));
        TestImage discoverAmd = SearchImages.kvm(tmp, "discover", 17);
        TestImage discoverArm = SearchImages.program(tmp, "discover-a64", "aarch64-linux-gnu-gcc", "arm64", 18);
        TestImage.Index discover = TestImage.Index.of(List.of(discoverAmd, discoverArm), false);
        pub.push("tools/discover", "1", discover);
        new Pusher(privateHub.url()).push("secret/app", "1", SearchImages.cuda(tmp, "secret", 19, "-march=x86-64-v3"));

        for (String repo : List.of("pub.example/tools/vector", "pub.example/tools/avx512", "pub.example/tools/base",
                "pub.example/gpu/cuda", "pub.example/sound/alsa", "pub.example/tools/discover", "priv.example/secret/app")) {
            pull(repo, repo.startsWith("priv.") ? basic("alice") : null);
        }
        pushHosted("local/team/app", "1", SearchImages.kvm(tmp, "hosted", 20));
        platforms.put("local/team/app", List.of(hostedImage.digest().toString()));

        Set<String> all = new TreeSet<>();
        platforms.forEach((repo, digests) -> digests.forEach(d -> all.add(repo + "@" + d)));
        // Only the pulls' background scans can make these documents: nobody asked for one yet.
        Awaits.until(() -> ids(searchAll("", "alice")), found -> found.equals(all), Duration.ofSeconds(180));

        discoverIndex = discover.digest().toString();
        discoverPlatforms = platforms.get("pub.example/tools/discover");
        for (String subject : Stream.concat(Stream.of(discoverIndex), discoverPlatforms.stream()).toList()) {
            referrersAfterPull.put(subject, json(http.get("/v2/pub.example/tools/discover/referrers/" + subject)));
        }

        for (var e : platforms.entrySet()) {
            for (String digest : e.getValue()) {
                Http.Response doc = http.get("/v2/" + e.getKey() + "/_gantry/hardware/" + digest, "Authorization", basic("alice"));
                assertThat(doc.status()).as("document of %s@%s: %s", e.getKey(), digest, doc.text()).isEqualTo(200);
                documents.put(e.getKey() + "@" + digest, json(doc));
            }
        }
    }

    static TestImage hostedImage;

    static void startGantry() {
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
                    - {prefix: priv.example/, users: [alice], actions: [pull]}
                prefetch: {mode: "off"}
                hardware: {waitBudget: 30s}
                """.formatted(publicHub.url(), privateHub.url(), htpasswd), tmp.resolve("gantry"), clock);
        http = new Http(gantry.url());
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable c : new AutoCloseable[] {gantry, publicHub, privateHub}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                // closing the rest matters more
            }
        }
    }

    // ---- referrers right after a pull ----------------------------------------------------------

    @Test
    void afterAPullReferrersOfEachPlatformListTheHardwareAndNfdArtifacts() {
        for (String platform : discoverPlatforms) {
            JsonNode list = referrersAfterPull.get(platform);
            assertThat(artifactTypes(list)).as("referrers of %s", platform)
                    .containsExactlyInAnyOrder("application/vnd.gantry.hardware.v1+json", "application/vnd.nfd.image-compatibility.v1alpha1");
        }
    }

    @Test
    void afterAPullReferrersOfTheIndexListBothArtifactsOfEveryPlatformWithTheIndexAsSubject() throws Exception {
        JsonNode list = referrersAfterPull.get(discoverIndex);
        assertThat(list.path("manifests")).hasSize(4);
        Set<String> described = new TreeSet<>();
        for (JsonNode d : list.path("manifests")) {
            described.add(d.at("/annotations/dev.gantry.manifest").asText() + " " + d.path("artifactType").asText());
            Http.Response artifact = http.get("/v2/pub.example/tools/discover/manifests/" + d.path("digest").asText(),
                    "Accept", MediaTypes.OCI_MANIFEST);
            assertThat(artifact.status()).isEqualTo(200);
            assertThat(json(artifact).at("/subject/digest").asText()).isEqualTo(discoverIndex);
        }
        Set<String> expected = new TreeSet<>();
        for (String p : discoverPlatforms) {
            expected.add(p + " application/vnd.gantry.hardware.v1+json");
            expected.add(p + " application/vnd.nfd.image-compatibility.v1alpha1");
        }
        assertThat(described).isEqualTo(expected);
    }

    // ---- filters -------------------------------------------------------------------------------

    static Stream<String> filters() {
        return Stream.of("hardware=gpu.nvidia", "hardware=gpu.nvidia:supported", "hardware=gpu", "hardware=kvm:supported",
                "hardware=kvm", "runsOn=x86-64-v1", "runsOn=x86-64-v2", "runsOn=x86-64-v3", "feature=avx512f", "requires=avx512f",
                "requires=avx2", "feature=avx2", "devices=none", "devices=any", "arch=amd64", "arch=arm64",
                "repository=pub.example/tools/", "runsOn=x86-64-v3&devices=none&arch=amd64", "requires=avx2&hardware=gpu.nvidia",
                "feature=avx512f&feature=avx2");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("filters")
    void eachFilterFindsExactlyTheImagesWhoseDocumentsMatchIt(String filter) throws Exception {
        Predicate<JsonNode> expected = Expectations.of(filter);
        Set<String> want = new TreeSet<>();
        documents.forEach((id, doc) -> {
            if (expected.test(doc) && (!filter.startsWith("repository=") || id.startsWith("pub.example/tools/"))) {
                want.add(id);
            }
        });
        assertThat(ids(searchAll(filter, "alice"))).as("search ?%s", filter).isEqualTo(want);
    }

    @Test
    void theFiltersAreNotAllTheSameSet() {
        // Guards the filter tests: the images differ in what the filters ask about.
        assertThat(matching("requires=avx512f")).containsExactly(id("pub.example/tools/avx512"));
        assertThat(matching("hardware=gpu.nvidia")).contains(id("pub.example/gpu/cuda"), id("priv.example/secret/app"));
        assertThat(matching("runsOn=x86-64-v2")).contains(id("pub.example/tools/base"))
                .doesNotContain(id("pub.example/tools/avx512"), platforms.get("pub.example/tools/vector").get(0));
        assertThat(matching("arch=arm64")).hasSize(2);
        assertThat(matching("devices=none")).isNotEmpty().hasSizeLessThan(documents.size());
    }

    private static Set<String> matching(String filter) {
        Predicate<JsonNode> p = Expectations.of(filter);
        Set<String> out = new TreeSet<>();
        documents.forEach((id, doc) -> {
            if (p.test(doc)) {
                out.add(id);
            }
        });
        return out;
    }

    private static String id(String repo) {
        return repo + "@" + platforms.get(repo).get(0);
    }

    @Test
    void aResultNamesItsRepositoryTagsIndexPlatformAndNeeds() throws Exception {
        JsonNode page = json(search("repository=pub.example/tools/vector&arch=amd64", "alice"));
        assertThat(page.path("total").asInt()).isEqualTo(1);
        JsonNode r = page.path("results").get(0);
        String digest = platforms.get("pub.example/tools/vector").get(0);
        assertThat(r.path("repository").asText()).isEqualTo("pub.example/tools/vector");
        assertThat(r.path("tags").toString()).isEqualTo("[\"1\"]");
        assertThat(r.path("digest").asText()).isEqualTo(digest);
        assertThat(r.path("index").asText()).isEqualTo(indexes.get("pub.example/tools/vector"));
        assertThat(r.path("platform").toString()).isEqualTo("{\"os\":\"linux\",\"architecture\":\"amd64\"}");
        JsonNode doc = documents.get("pub.example/tools/vector@" + digest);
        assertThat(r.at("/cpu/level").asText()).isEqualTo(doc.at("/platform/cpu/level").asText());
        Set<String> required = new TreeSet<>();
        doc.at("/platform/cpu/features").properties().forEach(f -> {
            if (f.getValue().asText().equals("required")) {
                required.add(f.getKey());
            }
        });
        assertThat(texts(r.at("/cpu/required"))).isEqualTo(required);
        assertThat(r.has("verdict")).isFalse();

        JsonNode single = json(search("repository=pub.example/tools/base", "alice")).path("results").get(0);
        assertThat(single.has("index")).as("a single-platform image belongs to no index").isFalse();
        assertThat(single.path("tags").toString()).isEqualTo("[\"1\"]");
    }

    // ---- paging --------------------------------------------------------------------------------

    @Test
    void pagingFollowsTheLinkHeaderThroughEveryResultOnceInOrder() throws Exception {
        List<String> whole = new ArrayList<>();
        for (JsonNode r : json(search("", "alice")).path("results")) {
            whole.add(r.path("repository").asText() + "@" + r.path("digest").asText());
        }
        assertThat(whole).hasSize(documents.size());
        List<String> paged = new ArrayList<>();
        String path = "/v2/_gantry/search?n=3";
        int pages = 0;
        while (path != null) {
            Http.Response r = http.get(path, "Authorization", basic("alice"));
            assertThat(r.status()).isEqualTo(200);
            JsonNode page = json(r);
            assertThat(page.path("total").asInt()).as("total counts every page").isEqualTo(documents.size());
            assertThat(page.path("results").size()).isLessThanOrEqualTo(3);
            page.path("results").forEach(x -> paged.add(x.path("repository").asText() + "@" + x.path("digest").asText()));
            String link = r.header("Link");
            path = null;
            if (link != null) {
                Matcher m = NEXT.matcher(link);
                assertThat(m.matches()).as(link).isTrue();
                path = m.group(1);
            }
            pages++;
        }
        assertThat(paged).isEqualTo(whole);
        assertThat(pages).isEqualTo((documents.size() + 2) / 3);
    }

    @Test
    void theNextLinkKeepsTheFilters() throws Exception {
        Http.Response first = search("arch=amd64&n=1", "alice");
        Matcher m = NEXT.matcher(first.header("Link"));
        assertThat(m.matches()).isTrue();
        assertThat(m.group(1)).contains("arch=amd64").contains("n=1").contains("last=");
        JsonNode second = json(http.get(m.group(1), "Authorization", basic("alice")));
        assertThat(second.at("/results/0/platform/architecture").asText()).isEqualTo("amd64");
    }

    // ---- runs on this host -----------------------------------------------------------------------

    @Test
    void aHostProfileKeepsExactlyTheImagesTheCheckSaysRunThere() throws Exception {
        // An x86-64-v2 host without AVX and without devices.
        String profile = """
                {"os":"linux","architecture":"x86_64","cpuFlags":["fpu","sse","sse2","cx16","lahf_lm","popcnt","pni","ssse3",
                "sse4_1","sse4_2","cmov","cx8","fxsr","mmx","syscall"],"devices":[]}
                """;
        Set<String> want = new TreeSet<>();
        for (String id : documents.keySet()) {
            String repo = id.substring(0, id.indexOf('@'));
            String digest = id.substring(id.indexOf('@') + 1);
            JsonNode verdict = JSON.readTree(post("/v2/" + repo + "/_gantry/check/" + digest, profile, "alice").body());
            if (!verdict.path("verdict").asText().equals("will-fail")) {
                want.add(id + " " + verdict.path("verdict").asText());
            }
        }
        assertThat(want).as("the host runs some images and not others").isNotEmpty().hasSizeLessThan(documents.size());
        Set<String> found = new TreeSet<>();
        JsonNode page = JSON.readTree(post("/v2/_gantry/search", profile, "alice").body());
        page.path("results").forEach(r -> found.add(r.path("repository").asText() + "@" + r.path("digest").asText() + " "
                + r.path("verdict").asText()));
        assertThat(found).isEqualTo(want);
        assertThat(page.path("total").asInt()).isEqualTo(want.size());

        JsonNode combined = JSON.readTree(post("/v2/_gantry/search?hardware=gpu.nvidia:supported", profile, "alice").body());
        Set<String> gpu = new TreeSet<>();
        combined.path("results").forEach(r -> gpu.add(r.path("repository").asText() + "@" + r.path("digest").asText()));
        Set<String> wantGpu = new TreeSet<>();
        Predicate<JsonNode> usesGpu = Expectations.of("hardware=gpu.nvidia:supported");
        want.forEach(w -> {
            String id = w.substring(0, w.indexOf(' '));
            if (usesGpu.test(documents.get(id))) {
                wantGpu.add(id);
            }
        });
        assertThat(gpu).isEqualTo(wantGpu);
    }

    // ---- access --------------------------------------------------------------------------------

    @Test
    void aUserWithoutAccessToThePrivateUpstreamSeesNoneOfItsImages() throws Exception {
        long privateImages = documents.keySet().stream().filter(id -> id.startsWith("priv.example/")).count();
        assertThat(privateImages).isPositive();
        for (String caller : new String[] {"bob", null}) {
            JsonNode all = json(search("", caller));
            assertThat(all.path("results").toString()).as("%s sees", caller).doesNotContain("priv.example");
            assertThat(all.path("total").asLong()).isEqualTo(documents.size() - privateImages);
            JsonNode gpu = json(search("hardware=gpu.nvidia", caller));
            assertThat(gpu.path("results").toString()).doesNotContain("priv.example").doesNotContain(platforms.get("priv.example/secret/app").get(0));
            JsonNode named = json(search("repository=priv.example/", caller));
            assertThat(named.path("total").asInt()).isZero();
            assertThat(named.path("results")).isEmpty();
        }
        assertThat(json(search("repository=priv.example/", "alice")).path("total").asLong()).isEqualTo(privateImages);
    }

    @Test
    void aTokenForOneRepositoryListsOnlyThatRepository() throws Exception {
        Http.Response t = http.get("/token?service=gantry&scope=repository:priv.example/secret/app:pull", "Authorization", basic("alice"));
        String token = "Bearer " + json(t).path("token").asText();
        JsonNode page = json(http.get("/v2/_gantry/search", "Authorization", token));
        Set<String> repos = new TreeSet<>();
        page.path("results").forEach(r -> repos.add(r.path("repository").asText()));
        assertThat(repos).containsExactly("priv.example/secret/app");
    }

    // ---- bad input -----------------------------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @MethodSource("badQueries")
    void aBadParameterIsA400WithAnOciError(String query) throws Exception {
        Http.Response r = http.get("/v2/_gantry/search?" + query);
        assertThat(r.status()).as(r.text()).isEqualTo(400);
        assertThat(json(r).at("/errors/0/code").asText()).isNotEmpty();
    }

    static Stream<String> badQueries() {
        return Stream.of("runsOn=pentium", "runsOn=x86-64-v9", "n=-1", "n=abc", "hardware=gpu.nvidia:sometimes", "devices=some",
                "feature=" + URLEncoder.encode("avx 512", StandardCharsets.UTF_8), "colour=red", "arch=amd64&arch=arm64");
    }

    @Test
    void aPostWithoutAProfileIsA400() throws Exception {
        HttpResponse<String> r = postRaw("/v2/_gantry/search", "not json", null);
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(r.body()).at("/errors/0/code").asText()).isNotEmpty();
    }

    // ---- changes -------------------------------------------------------------------------------

    @Test
    @Order(Integer.MAX_VALUE) // it changes what the other tests search
    void aTagMovedByAPushIsListedAtItsNewImageAndTheCatalogComesBackAfterARestart() throws Exception {
        TestImage moved = SearchImages.program(tmp, "moved", "gcc", "amd64", 21, "-march=x86-64-v2");
        String old = hostedImage.digest().toString();
        pushHosted("local/team/app", "1", moved);
        String now = moved.digest().toString();
        Awaits.until(() -> tagsByDigest(json(search("repository=local/team/app", "alice"))),
                t -> "[\"1\"]".equals(t.get(now)) && "[]".equals(t.get(old)), Duration.ofSeconds(120));

        Map<String, String> before = tagsByDigest(json(search("", "alice")));
        gantry.close();
        startGantry();
        Awaits.until(() -> tagsByDigest(json(search("", "alice"))), before::equals, Duration.ofSeconds(60));
    }

    // ---- helpers -------------------------------------------------------------------------------

    private static Map<String, String> tagsByDigest(JsonNode page) {
        Map<String, String> out = new LinkedHashMap<>();
        page.path("results").forEach(r -> out.put(r.path("digest").asText(), r.path("tags").toString()));
        return out;
    }

    static Http.Response search(String query, String caller) {
        String path = "/v2/_gantry/search" + (query.isEmpty() ? "" : "?" + query);
        return caller == null ? http.get(path) : http.get(path, "Authorization", basic(caller));
    }

    /** Every result of a search, following the pages. */
    static List<JsonNode> searchAll(String query, String caller) {
        List<JsonNode> out = new ArrayList<>();
        String path = "/v2/_gantry/search?" + query + (query.isEmpty() ? "" : "&") + "n=1000";
        Http.Response r = caller == null ? http.get(path) : http.get(path, "Authorization", basic(caller));
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        json(r).path("results").forEach(out::add);
        assertThat(r.header("Link")).isNull();
        return out;
    }

    static Set<String> ids(List<JsonNode> results) {
        Set<String> out = new TreeSet<>();
        results.forEach(r -> out.add(r.path("repository").asText() + "@" + r.path("digest").asText()));
        return out;
    }

    static Set<String> texts(JsonNode array) {
        Set<String> out = new TreeSet<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    static Set<String> artifactTypes(JsonNode referrers) {
        Set<String> out = new LinkedHashSet<>();
        referrers.path("manifests").forEach(d -> out.add(d.path("artifactType").asText()));
        return out;
    }

    static JsonNode json(Http.Response r) {
        try {
            return JSON.readTree(r.body());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static String basic(String user) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + PASSWORDS.get(user)).getBytes(StandardCharsets.UTF_8));
    }

    /** Pulls as a client would: the tag (an index or a manifest), each platform manifest, every blob. */
    static void pull(String repo, String authorization) {
        String accept = String.join(",", MediaTypes.OCI_INDEX, MediaTypes.OCI_MANIFEST, MediaTypes.DOCKER_MANIFEST_LIST,
                MediaTypes.DOCKER_MANIFEST);
        Http.Response top = get("/v2/" + repo + "/manifests/1", authorization, "Accept", accept);
        assertThat(top.status()).as("pull %s: %s", repo, top.text()).isEqualTo(200);
        JsonNode m = json(top);
        List<String> digests = new ArrayList<>();
        if (m.has("manifests")) {
            indexes.put(repo, top.header("Docker-Content-Digest"));
            for (JsonNode d : m.path("manifests")) {
                digests.add(d.path("digest").asText());
                JsonNode child = json(get("/v2/" + repo + "/manifests/" + d.path("digest").asText(), authorization, "Accept", accept));
                pullBlobs(repo, child, authorization);
            }
        } else {
            digests.add(top.header("Docker-Content-Digest"));
            pullBlobs(repo, m, authorization);
        }
        platforms.put(repo, digests);
    }

    private static void pullBlobs(String repo, JsonNode manifest, String authorization) {
        List<JsonNode> blobs = new ArrayList<>();
        blobs.add(manifest.path("config"));
        manifest.path("layers").forEach(blobs::add);
        for (JsonNode b : blobs) {
            Http.Response r = get("/v2/" + repo + "/blobs/" + b.path("digest").asText(), authorization);
            assertThat(r.status()).isEqualTo(200);
        }
    }

    private static Http.Response get(String path, String authorization, String... headers) {
        List<String> h = new ArrayList<>(List.of(headers));
        if (authorization != null) {
            h.add("Authorization");
            h.add(authorization);
        }
        return http.get(path, h.toArray(String[]::new));
    }

    static HttpResponse<String> post(String path, String body, String caller) throws Exception {
        HttpResponse<String> r = postRaw(path, body, caller);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return r;
    }

    static HttpResponse<String> postRaw(String path, String body, String caller) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(gantry.url() + path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (caller != null) {
            b.header("Authorization", basic(caller));
        }
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Pushes an image to a hosted repository through Gantry, as alice. */
    static void pushHosted(String repo, String tag, TestImage image) throws Exception {
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
        HttpResponse<String> m = client.send(HttpRequest.newBuilder(URI.create(gantry.url() + "/v2/" + repo + "/manifests/" + tag))
                .header("Authorization", auth).header("Content-Type", image.manifest().mediaType())
                .PUT(HttpRequest.BodyPublishers.ofByteArray(image.manifest().bytes())).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(m.statusCode()).as(m.body()).isEqualTo(201);
        if (hostedImage == null) {
            hostedImage = image;
        }
    }
}
