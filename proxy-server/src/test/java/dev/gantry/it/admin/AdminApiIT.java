package dev.gantry.it.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gantry.oci.Digest;
import dev.gantry.oci.MediaTypes;
import dev.gantry.oci.Reference;
import dev.gantry.registry.ManifestObserver;
import dev.gantry.registry.ManifestResult;
import dev.gantry.registry.Repository;
import dev.gantry.testing.Awaits;
import dev.gantry.testing.DistributionRegistry;
import dev.gantry.testing.GantryServer;
import dev.gantry.testing.HtpasswdFile;
import dev.gantry.testing.Http;
import dev.gantry.testing.MutableClock;
import dev.gantry.testing.Pusher;
import dev.gantry.testing.TestImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin API against a real upstream (CNCF Distribution, requests counted
 * in its access log) and an in-process Gantry with users: listing, eviction
 * and refetch, pins across a restart, size-based eviction sparing pins,
 * warming an index, and who may do any of it.
 */
class AdminApiIT {

    static final String ACCEPT_ALL = String.join(", ", MediaTypes.MANIFEST_TYPES);
    static final Map<String, String> PASSWORDS = Map.of("ops", "ops-Secret-1", "alice", "alice-Secret-1");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private DistributionRegistry upstream;
    private GantryServer gantry;
    private Http http;

    @BeforeEach
    void startUpstream() {
        upstream = DistributionRegistry.start(tmp.resolve("upstream"));
    }

    @AfterEach
    void stop() {
        if (gantry != null) {
            gantry.close();
        }
        upstream.close();
    }

    private void startGantry(String extra) {
        Path htpasswd = HtpasswdFile.write(tmp.resolve("htpasswd"), PASSWORDS);
        gantry = GantryServer.start("upstreams:\n  - name: docker.io\n    url: " + upstream.url() + "\n    default: true\n"
                + "auth:\n  htpasswd: " + htpasswd + "\n  rules:\n    - {prefix: \"\", users: [ops], actions: [admin]}\n" + extra,
                tmp.resolve("gantry"), MutableClock.startingNow());
        http = new Http(gantry.url());
    }

    static String basic(String user) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + PASSWORDS.get(user)).getBytes(StandardCharsets.UTF_8));
    }

    private TestImage push(String repo, String tag, long seed) {
        TestImage image = TestImage.builder().seed(seed).layer(300_000).layer(40_000).layer(900_000).build();
        new Pusher(upstream.url()).push(repo, tag, image);
        return image;
    }

    private void pull(String repo, String tag, TestImage image) {
        Http.Response m = http.get("/v2/" + repo + "/manifests/" + tag, "Accept", ACCEPT_ALL);
        assertThat(m.status()).as("manifest %s", m.text()).isEqualTo(200);
        for (TestImage.Blob b : image.blobs()) {
            Http.Response blob = http.get("/v2/" + repo + "/blobs/" + b.digest());
            assertThat(blob.status()).isEqualTo(200);
            assertThat(Digest.sha256(blob.body())).isEqualTo(b.digest());
        }
    }

    /**
     * Waits for the image's hardware analysis, which follows each pull: one still running when the image is
     * evicted could fetch its config back (stopped where it still waited on its layers, but not once it has
     * begun to build).
     */
    private void awaitAnalysis(String repo, String tag) {
        Http.Response doc = Awaits.until(() -> http.get("/v2/" + repo + "/_gantry/hardware/" + tag),
                r -> r.status() != 202, Duration.ofSeconds(60));
        assertThat(doc.status()).as("hardware of %s:%s: %s", repo, tag, doc.text()).isEqualTo(200);
    }

    private Http.Response admin(String method, String path, String body) {
        return http.send(method, path, body == null ? null : body.getBytes(StandardCharsets.UTF_8), "Authorization", basic("ops"));
    }

    static JsonNode json(Http.Response r) {
        try {
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long size(TestImage image) {
        return image.config().bytes().length + image.layers().stream().mapToLong(b -> b.bytes().length).sum();
    }

    private boolean onDisk(TestImage.Blob b) {
        return gantry.gantry().disk().statNow(b.digest()).isPresent();
    }

    /** Waits until a warm job ends; returns its last state. */
    private JsonNode awaitJob(String location) {
        return Awaits.until(() -> json(admin("GET", location, null)), j -> !j.get("state").asText().equals("running"),
                Duration.ofSeconds(30));
    }

    @Test
    void listingShowsPulledRepositoriesWithTagsSizesAndLastPull() {
        startGantry("");
        TestImage a = push("test/a", "1", 1);
        TestImage b = push("test/b", "2", 2);
        pull("test/a", "1", a);
        pull("test/b", "2", b);

        Http.Response list = admin("GET", "/v2/_gantry/cache/repositories", null);
        assertThat(list.status()).as(list.text()).isEqualTo(200);
        JsonNode repos = json(list).get("repositories");
        assertThat(repos).hasSize(2);
        JsonNode first = repos.get(0);
        assertThat(first.get("name").asText()).isEqualTo("docker.io/test/a");
        assertThat(first.get("kind").asText()).isEqualTo("mirrored");
        assertThat(first.get("upstream").asText()).isEqualTo("docker.io");
        assertThat(first.get("tags").get(0).get("tag").asText()).isEqualTo("1");
        assertThat(first.get("tags").get(0).get("digest").asText()).isEqualTo(a.digest().toString());
        assertThat(first.get("bytes").asLong()).isEqualTo(size(a));
        assertThat(first.get("cachedBytes").asLong()).isEqualTo(size(a));
        assertThat(first.get("lastPull").isNull()).isFalse();
        assertThat(first.get("pinned").asBoolean()).isFalse();
        assertThat(repos.get(1).get("name").asText()).isEqualTo("docker.io/test/b");

        Http.Response page = admin("GET", "/v2/_gantry/cache/repositories?n=1", null);
        assertThat(json(page).get("repositories")).hasSize(1);
        assertThat(page.header("Link")).isEqualTo("</v2/_gantry/cache/repositories?n=1&last=docker.io%2Ftest%2Fa>; rel=\"next\"");
        Http.Response second = admin("GET", "/v2/_gantry/cache/repositories?n=1&last=docker.io%2Ftest%2Fa", null);
        assertThat(json(second).get("repositories").get(0).get("name").asText()).isEqualTo("docker.io/test/b");
        assertThat(second.header("Link")).isNull();

        Http.Response one = admin("GET", "/v2/_gantry/cache/repositories/test/b", null);
        assertThat(one.status()).as(one.text()).isEqualTo(200);
        JsonNode detail = json(one);
        assertThat(detail.get("name").asText()).isEqualTo("docker.io/test/b");
        assertThat(detail.get("manifests")).hasSize(1);
        assertThat(detail.get("manifests").get(0).get("digest").asText()).isEqualTo(b.digest().toString());
        assertThat(detail.get("manifests").get(0).get("blobs").asInt()).isEqualTo(b.blobs().size());
        assertThat(detail.get("tags").get(0).get("mediaType").asText()).isEqualTo(MediaTypes.OCI_MANIFEST);
    }

    @Test
    void evictedImageIsFetchedAgainFromUpstreamWhileSharedBlobsStay() {
        startGantry("");
        TestImage a = push("test/a", "1", 1);
        new Pusher(upstream.url()).push("test/copy", "1", a);
        TestImage b = push("test/a", "2", 2);
        pull("test/a", "1", a);
        pull("test/a", "2", b);
        pull("test/copy", "1", a);
        awaitAnalysis("test/a", "1");
        awaitAnalysis("test/a", "2");

        Http.Response evicted = admin("DELETE", "/v2/_gantry/cache/test/a/manifests/2", null);
        assertThat(evicted.status()).as(evicted.text()).isEqualTo(200);
        JsonNode result = json(evicted);
        assertThat(result.get("tags").get(0).asText()).isEqualTo("2");
        assertThat(result.get("manifests").get(0).asText()).isEqualTo(b.digest().toString());
        assertThat(result.get("blobs").asInt()).isEqualTo(b.blobs().size());
        assertThat(result.get("bytes").asLong()).isEqualTo(size(b));
        assertThat(b.blobs()).noneMatch(this::onDisk);
        assertThat(a.blobs()).allMatch(this::onDisk);

        upstream.resetLog();
        pull("test/a", "2", b);
        assertThat(upstream.count(DistributionRegistry.Request::isManifestGet)).isEqualTo(1);
        assertThat(upstream.count(DistributionRegistry.Request::isBlobGet)).isEqualTo(b.blobs().size());

        // test/copy holds the same image: evicting test/a's copy keeps every blob, and test/copy is served from the cache.
        Http.Response repo = admin("DELETE", "/v2/_gantry/cache/test/a", null);
        assertThat(repo.status()).as(repo.text()).isEqualTo(200);
        assertThat(json(repo).get("keptBlobs").asInt()).isEqualTo(a.blobs().size());
        assertThat(a.blobs()).allMatch(this::onDisk);
        upstream.resetLog();
        pull("test/copy", "1", a);
        assertThat(upstream.count(DistributionRegistry.Request::isBlobGet)).isZero();
        assertThat(admin("GET", "/v2/_gantry/cache/repositories/test/a", null).status()).isEqualTo(404);
    }

    @Test
    void evictionByDigestTakesTheTagsPointingAtItAndNothingOfOtherRepositories() {
        startGantry("");
        TestImage a = push("test/a", "1", 1);
        new Pusher(upstream.url()).push("test/a", "also", a);
        pull("test/a", "1", a);
        pull("test/a", "also", a);
        awaitAnalysis("test/a", "1");
        List<String> told = new CopyOnWriteArrayList<>();
        gantry.gantry().registry().observeManifests(new ManifestObserver() {
            @Override
            public void seen(Repository repo, Reference reference, ManifestResult m) {
            }

            @Override
            public void removed(Repository repo, Reference reference) {
                told.add(repo.fullName() + " " + reference);
            }
        });

        // test/b never held it: the digest is not test/b's to evict, nor to learn of.
        Http.Response elsewhere = admin("DELETE", "/v2/_gantry/cache/test/b/manifests/" + a.digest(), null);
        assertThat(elsewhere.status()).isEqualTo(404);
        assertThat(a.blobs()).allMatch(this::onDisk);

        Http.Response evicted = admin("DELETE", "/v2/_gantry/cache/test/a/manifests/" + a.digest(), null);
        assertThat(evicted.status()).as(evicted.text()).isEqualTo(200);
        assertThat(json(evicted).get("tags")).extracting(JsonNode::asText).containsExactly("1", "also");
        assertThat(a.blobs()).noneMatch(this::onDisk);
        // As of a hosted delete, the observers (the hardware catalog and analysis) hear what the repository lost.
        assertThat(told).containsExactlyInAnyOrder("docker.io/test/a 1", "docker.io/test/a also",
                "docker.io/test/a " + a.digest());
        assertThat(admin("GET", "/v2/_gantry/cache/repositories/test/a", null).status()).isEqualTo(404);
    }

    @Test
    void pinSurvivesRestartAndRefusesEvictionUntilUnpinned() {
        startGantry("");
        TestImage a = push("test/a", "1", 1);
        pull("test/a", "1", a);

        Http.Response pinned = admin("PUT", "/v2/_gantry/pins/test/a:1", null);
        assertThat(pinned.status()).as(pinned.text()).isEqualTo(201);
        assertThat(json(pinned).get("source").asText()).isEqualTo("api");
        assertThat(json(pinned).get("pinnedBy").asText()).isEqualTo("ops");
        assertThat(awaitJob(json(pinned).get("warm").asText()).get("state").asText()).isEqualTo("done");
        assertThat(admin("PUT", "/v2/_gantry/pins", "{\"image\":\"test/a:1\"}").status()).isEqualTo(200);

        gantry.close();
        startGantry("");
        // Known as soon as the mirror is up, before any eviction could run: not left to a task that may come later.
        assertThat(a.blobs()).allMatch(b -> gantry.gantry().registry().admin().pinned(b.digest()));
        awaitAnalysis("test/a", "1"); // its document stored, no analysis left to read the config back
        JsonNode pins = json(admin("GET", "/v2/_gantry/pins", null)).get("pins");
        assertThat(pins).hasSize(1);
        assertThat(pins.get(0).get("image").asText()).isEqualTo("docker.io/test/a:1");
        JsonNode listed = json(admin("GET", "/v2/_gantry/cache/repositories", null)).get("repositories").get(0);
        assertThat(listed.get("pinned").asBoolean()).isTrue();

        Http.Response refused = admin("DELETE", "/v2/_gantry/cache/test/a/manifests/1", null);
        assertThat(refused.status()).isEqualTo(409);
        assertThat(json(refused).get("errors").get(0).get("code").asText()).isEqualTo("DENIED");
        assertThat(json(refused).get("errors").get(0).get("message").asText()).contains("pinned");
        assertThat(admin("DELETE", "/v2/_gantry/cache/test/a", null).status()).isEqualTo(409);
        assertThat(a.blobs()).allMatch(this::onDisk);

        assertThat(admin("DELETE", "/v2/_gantry/pins/test/a:1", null).status()).isEqualTo(200);
        assertThat(admin("DELETE", "/v2/_gantry/pins/test/a:1", null).status()).isEqualTo(404);
        assertThat(admin("DELETE", "/v2/_gantry/cache/test/a/manifests/1", null).status()).isEqualTo(200);
        assertThat(a.blobs()).noneMatch(this::onDisk);
    }

    @Test
    void sizeBasedEvictionSkipsPinnedImages() {
        // Room for about two of these images: pulling three more forces the disk tier to evict.
        gantryWithSmallDisk();
        TestImage pinnedImage = push("test/pinned", "1", 10);
        pull("test/pinned", "1", pinnedImage);
        Http.Response pin = admin("PUT", "/v2/_gantry/pins/test/pinned:1", null);
        assertThat(awaitJob(json(pin).get("warm").asText()).get("state").asText()).isEqualTo("done");
        // The oldest blobs on disk are the pinned image's: without the pin, LRU eviction would take them first.
        List<TestImage> others = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            TestImage other = push("test/other" + i, "1", 20 + i);
            pull("test/other" + i, "1", other);
            others.add(other);
        }
        Awaits.until(() -> others.stream().flatMap(o -> o.blobs().stream()).anyMatch(b -> !onDisk(b)), Duration.ofSeconds(20),
                "the disk tier evicted something");
        assertThat(pinnedImage.blobs()).allMatch(this::onDisk);
    }

    private void gantryWithSmallDisk() {
        Path htpasswd = HtpasswdFile.write(tmp.resolve("htpasswd"), PASSWORDS);
        gantry = GantryServer.start("upstreams:\n  - name: docker.io\n    url: " + upstream.url() + "\n    default: true\n"
                + "auth:\n  htpasswd: " + htpasswd + "\n  rules:\n    - {prefix: \"\", users: [ops], actions: [admin]}\n"
                + "storage:\n  disk:\n    path: " + tmp.resolve("gantry") + "\n    maxBytes: 3MiB\n"
                + "  memory:\n    maxBytes: 0\n", tmp.resolve("gantry"), MutableClock.startingNow());
        http = new Http(gantry.url());
    }

    @Test
    void warmFetchesEveryPlatformOfAnIndexAndReportsProgressToDone() {
        startGantry("");
        TestImage amd = TestImage.builder().seed(31).platform("linux", "amd64").layer(200_000).layer(50_000).build();
        TestImage arm = TestImage.builder().seed(32).platform("linux", "arm64").layer(210_000).layer(60_000).build();
        TestImage.Index index = TestImage.Index.of(List.of(amd, arm), false);
        new Pusher(upstream.url()).push("test/multi", "1", index);
        upstream.resetLog();

        Http.Response started = admin("POST", "/v2/_gantry/warm", "{\"image\":\"test/multi:1\"}");
        assertThat(started.status()).as(started.text()).isEqualTo(202);
        String location = started.header("Location");
        assertThat(location).startsWith("/v2/_gantry/warm/").endsWith(json(started).get("id").asText());
        JsonNode done = awaitJob(location);
        assertThat(done.get("state").asText()).as(done.toString()).isEqualTo("done");
        assertThat(done.get("image").asText()).isEqualTo("docker.io/test/multi:1");
        assertThat(done.get("platforms").asInt()).isEqualTo(2);
        int blobs = amd.blobs().size() + arm.blobs().size();
        assertThat(done.get("blobs").get("total").asInt()).isEqualTo(blobs);
        assertThat(done.get("blobs").get("done").asInt()).isEqualTo(blobs);
        assertThat(done.get("bytes").get("done").asLong()).isEqualTo(size(amd) + size(arm));
        assertThat(done.get("error").isNull()).isTrue();
        assertThat(upstream.count(DistributionRegistry.Request::isBlobGet)).isEqualTo(blobs);
        assertThat(amd.blobs()).allMatch(this::onDisk);
        assertThat(arm.blobs()).allMatch(this::onDisk);

        // Warmed: a pull of either platform costs upstream no blob.
        upstream.resetLog();
        pull("test/multi", arm.digest().toString(), arm);
        assertThat(upstream.count(DistributionRegistry.Request::isBlobGet)).isZero();
        JsonNode detail = json(admin("GET", "/v2/_gantry/cache/repositories/test/multi", null));
        assertThat(detail.get("manifests")).hasSize(3);
        assertThat(json(admin("GET", "/v2/_gantry/warm", null)).get("jobs").get(0).get("id").asText())
                .isEqualTo(json(started).get("id").asText());
    }

    @Test
    void aWarmJobIsShownOnlyToThoseWhoAdministerItsRepository() {
        // alice administers docker.io/team/ only; ops everything.
        startGantry("    - {prefix: \"docker.io/team/\", users: [alice], actions: [admin]}\n");
        push("test/secret", "1", 41);
        push("team/app", "1", 42);
        Http.Response theirs = admin("POST", "/v2/_gantry/warm", "{\"image\":\"test/secret:1\"}");
        assertThat(theirs.status()).as(theirs.text()).isEqualTo(202);
        Http.Response hers = http.send("POST", "/v2/_gantry/warm", "{\"image\":\"team/app:1\"}".getBytes(StandardCharsets.UTF_8),
                "Authorization", basic("alice"));
        assertThat(hers.status()).as(hers.text()).isEqualTo(202);
        awaitJob(theirs.header("Location"));
        awaitJob(hers.header("Location"));

        JsonNode aliceSees = json(http.get("/v2/_gantry/warm", "Authorization", basic("alice")));
        assertThat(aliceSees.get("jobs")).as("jobs alice lists").hasSize(1);
        assertThat(aliceSees.get("jobs").get(0).get("image").asText()).isEqualTo("docker.io/team/app:1");
        assertThat(json(admin("GET", "/v2/_gantry/warm", null)).get("jobs")).as("jobs ops lists").hasSize(2);
        Http.Response byId = http.get(theirs.header("Location"), "Authorization", basic("alice"));
        assertThat(byId.status()).as("alice asking for ops' job by id").isEqualTo(404);
        assertThat(byId.text()).doesNotContain("secret");
        assertThat(http.get(hers.header("Location"), "Authorization", basic("alice")).status()).isEqualTo(200);
    }

    @Test
    void aWarmOfAMissingImageFailsWithTheReason() {
        startGantry("");
        Http.Response started = admin("POST", "/v2/_gantry/warm", "{\"image\":\"test/none:1\"}");
        assertThat(started.status()).isEqualTo(202);
        JsonNode failed = awaitJob(started.header("Location"));
        assertThat(failed.get("state").asText()).isEqualTo("failed");
        assertThat(failed.get("error").asText()).isNotBlank();
    }

    @Test
    void callersWithoutTheAdminActionAreRefused() {
        startGantry("");
        TestImage a = push("test/a", "1", 1);
        pull("test/a", "1", a); // anonymous pull still works: the admin-only rule takes nothing from anyone
        List<String[]> routes = List.of(
                new String[] {"GET", "/v2/_gantry/cache/repositories", null},
                new String[] {"GET", "/v2/_gantry/cache/repositories/test/a", null},
                new String[] {"DELETE", "/v2/_gantry/cache/test/a/manifests/1", null},
                new String[] {"DELETE", "/v2/_gantry/cache/test/a", null},
                new String[] {"GET", "/v2/_gantry/pins", null},
                new String[] {"PUT", "/v2/_gantry/pins/test/a:1", null},
                new String[] {"POST", "/v2/_gantry/warm", "{\"image\":\"test/a:1\"}"});
        for (String[] r : routes) {
            byte[] body = r[2] == null ? null : r[2].getBytes(StandardCharsets.UTF_8);
            Http.Response anonymous = http.send(r[0], r[1], body);
            assertThat(anonymous.status()).as("anonymous %s %s", r[0], r[1]).isEqualTo(401);
            assertThat(anonymous.header("WWW-Authenticate")).isNotNull();
            Http.Response alice = http.send(r[0], r[1], body, "Authorization", basic("alice"));
            assertThat(alice.status()).as("alice %s %s", r[0], r[1]).isEqualTo(403);
            assertThat(json(alice).get("errors").get(0).get("code").asText()).isEqualTo("DENIED");
        }
        assertThat(http.get("/v2/test/a/manifests/1", "Authorization", basic("alice"), "Accept", ACCEPT_ALL).status()).isEqualTo(200);
        assertThat(a.blobs()).allMatch(this::onDisk);
        assertThat(admin("GET", "/v2/_gantry/cache/repositories", null).status()).isEqualTo(200);
    }

    @Test
    void badInputIsAnOciErrorNeverA500() {
        startGantry("");
        Map<String[], Integer> cases = Map.of(
                new String[] {"POST", "/v2/_gantry/warm", "not json"}, 400,
                new String[] {"POST", "/v2/_gantry/warm", "{\"image\":\"test/a\"}"}, 400,
                new String[] {"PUT", "/v2/_gantry/pins/test/a@sha256:" + "0".repeat(64), null}, 400,
                new String[] {"PUT", "/v2/_gantry/pins/Bad..Name:1", null}, 400,
                new String[] {"GET", "/v2/_gantry/cache/repositories?n=x", null}, 400,
                new String[] {"GET", "/v2/_gantry/cache/repositories/test/none", null}, 404,
                new String[] {"DELETE", "/v2/_gantry/cache/test/none/manifests/1", null}, 404,
                new String[] {"GET", "/v2/_gantry/warm/nosuchjob", null}, 404,
                new String[] {"DELETE", "/v2/_gantry/pins/test/a:1", null}, 404,
                new String[] {"PATCH", "/v2/_gantry/pins", null}, 405);
        for (var c : cases.entrySet()) {
            String[] r = c.getKey();
            Http.Response resp = admin(r[0], r[1], r[2]);
            assertThat(resp.status()).as("%s %s: %s", r[0], r[1], resp.text()).isEqualTo(c.getValue());
            assertThat(json(resp).get("errors").get(0).get("code").asText()).isNotBlank();
        }
    }

    @Test
    void configuredPinsAreWarmedRefetchedWhenMissingAndCannotBeRemovedThroughTheApi() {
        TestImage a = push("test/a", "1", 1);
        upstream.resetLog();
        startGantry("cache:\n  pins:\n    images: [test/a:1]\n    revalidate: 1s\n");
        // Nobody pulled it: the pin's revalidation fetches it.
        Awaits.until(() -> a.blobs().stream().allMatch(this::onDisk), Duration.ofSeconds(30), "the pinned image is fetched");
        JsonNode pin = json(admin("GET", "/v2/_gantry/pins", null)).get("pins").get(0);
        assertThat(pin.get("source").asText()).isEqualTo("config");
        assertThat(admin("DELETE", "/v2/_gantry/pins/test/a:1", null).status()).isEqualTo(409);
        assertThat(admin("DELETE", "/v2/_gantry/cache/test/a/manifests/1", null).status()).isEqualTo(409);

        // A blob lost (from every tier) is fetched again at the next revalidation.
        // The log is cleared first: a revalidation round between the delete and the clear would fetch the layer
        // unseen. A fill re-checks the disk when it claims the blob, so no second GET follows the first.
        TestImage.Blob layer = a.layers().get(0);
        upstream.resetLog();
        gantry.gantry().memory().delete(layer.digest()).join();
        gantry.gantry().disk().delete(layer.digest()).join();
        Awaits.until(() -> onDisk(layer), Duration.ofSeconds(30), "the lost layer is fetched again");
        assertThat(upstream.count(r -> r.isBlobGet() && r.path().endsWith(layer.digest().toString()))).isEqualTo(1);
        assertThat(Awaits.until(() -> json(admin("GET", "/v2/_gantry/pins", null)).get("pins").get(0),
                p -> !p.get("digest").isNull(), Duration.ofSeconds(10)).get("digest").asText()).isEqualTo(a.digest().toString());
    }

    /**
     * With auth.htpasswd set, loopback callers never administer anonymously, even once the file holds no valid
     * user (rewritten with MD5 entries, emptied, or read halfway through a rewrite): the mirror still has users.
     */
    @Test
    void anHtpasswdLeftWithNoValidUserDoesNotOpenLoopbackAdmin() throws Exception {
        Path htpasswd = HtpasswdFile.write(tmp.resolve("htpasswd"), PASSWORDS);
        MutableClock clock = MutableClock.startingNow();
        gantry = GantryServer.start("upstreams:\n  - name: docker.io\n    url: " + upstream.url() + "\n    default: true\n"
                + "auth:\n  htpasswd: " + htpasswd + "\n  loopbackAdmin: true\n  rules:\n"
                + "    - {prefix: \"\", users: [ops], actions: [admin]}\n", tmp.resolve("gantry"), clock);
        Http anonymous = new Http(gantry.url());
        assertThat(anonymous.get("/v2/_gantry/cache/repositories").status()).isEqualTo(401);

        java.nio.file.attribute.FileTime before = Files.getLastModifiedTime(htpasswd);
        Files.writeString(htpasswd, "ops:$apr1$weak$0123456789abcdefghijkl\n");
        Files.setLastModifiedTime(htpasswd, java.nio.file.attribute.FileTime.fromMillis(before.toMillis() + 10_000));
        clock.advance(Duration.ofSeconds(6)); // past the re-read interval
        assertThat(anonymous.get("/v2/_gantry/cache/repositories", "Authorization", basic("ops")).status())
                .as("ops, whose entry is no longer valid").isEqualTo(401);
        assertThat(anonymous.get("/v2/_gantry/cache/repositories").status()).as("an anonymous loopback caller").isEqualTo(401);
        assertThat(anonymous.get("/v2/").status()).as("/v2/ still asks who is calling").isEqualTo(401);
    }

    @Test
    void withoutUsersLoopbackCallersAdministerOnlyWhenConfigured() {
        gantry = GantryServer.mirroring(upstream.url(), tmp.resolve("closed"), MutableClock.startingNow());
        Http.Response closed = new Http(gantry.url()).get("/v2/_gantry/cache/repositories");
        assertThat(closed.status()).isEqualTo(401);
        assertThat(json(closed).get("errors").get(0).get("message").asText()).contains("auth.loopbackAdmin");
        gantry.close();
        gantry = GantryServer.start("upstreams:\n  - name: docker.io\n    url: " + upstream.url() + "\n    default: true\n"
                + "auth:\n  loopbackAdmin: true\n", tmp.resolve("open"), MutableClock.startingNow());
        assertThat(new Http(gantry.url()).get("/v2/_gantry/cache/repositories").status()).isEqualTo(200);
    }
}
