package dev.gantry.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gantry.config.CacheConfig;
import dev.gantry.metrics.GantryMetrics;
import dev.gantry.oci.Digest;
import dev.gantry.oci.ErrorCode;
import dev.gantry.oci.MediaTypes;
import dev.gantry.oci.Reference;
import dev.gantry.oci.RegistryException;
import dev.gantry.testing.Awaits;
import dev.gantry.testing.ScriptedUpstream;
import dev.gantry.testing.TestImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pull-through services on their own, against an in-process upstream
 * and real tiers in a temporary directory, with an injected clock: no
 * Gantry server is booted. Upstream requests are counted on the upstream.
 */
class PullThroughServicesTest {

    private static final Duration TAG_TTL = Duration.ofSeconds(60);
    private static final Duration NOT_FOUND_TTL = Duration.ofSeconds(10);

    @TempDir
    Path tmp;

    private final TestImage image = TestImage.builder().seed(11).layer(300_000).build();
    private ScriptedUpstream upstream;
    private ServiceFixture f;

    @AfterEach
    void stop() throws Exception {
        if (f != null) {
            f.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    private void serveImage() throws Exception {
        upstream = new ScriptedUpstream(req -> {
            for (TestImage.Blob b : image.blobs()) {
                if (req.path().endsWith("/blobs/" + b.digest())) {
                    return answer(req, "application/octet-stream", b.digest(), b.bytes());
                }
            }
            TestImage.Blob m = image.manifest();
            if (req.path().endsWith("/manifests/latest") || req.path().endsWith("/manifests/" + m.digest())) {
                return answer(req, m.mediaType(), m.digest(), m.bytes());
            }
            return ScriptedUpstream.Answer.of(404, Map.of("Content-Length", "0"), new byte[0], false);
        });
        f = new ServiceFixture(tmp, upstream.url());
    }

    private static ScriptedUpstream.Answer answer(ScriptedUpstream.Request req, String type, Digest digest, byte[] body) {
        return ScriptedUpstream.Answer.of(200, Map.of("Content-Type", type, "Content-Length", Integer.toString(body.length),
                "Docker-Content-Digest", digest.toString()), req.method().equals("HEAD") ? new byte[0] : body, false);
    }

    private long asked(String method, String pathEnd) {
        return upstream.requests().stream().filter(r -> r.method().equals(method) && r.path().endsWith(pathEnd)).count();
    }

    private PullThroughBlobs blobs() {
        return new PullThroughBlobs(f.tiers, f.fills, f.upstream, f.links, new LayerTypes(1_000), NOT_FOUND_TTL, 1_000, f.clock, new GantryMetrics());
    }

    private PullThroughManifests manifests() {
        return new PullThroughManifests(f.manifests, f.tags, f.links, f.upstream, f.clock, TAG_TTL, NOT_FOUND_TTL,
                new CacheConfig.Entries(null, null, null, null, null, null, null, null, null, null, null, null,
                        null, null, null, null, null), f.events);
    }

    @Test
    void aColdBlobAskedForTwiceAtOnceIsFetchedOnceAndCommitted() throws Exception {
        serveImage();
        PullThroughBlobs blobs = blobs();
        Repository repo = f.repo("acme/app");
        TestImage.Blob layer = image.layers().get(0);

        CompletableFuture<BlobResult> first = blobs.get(repo, layer.digest(), false);
        CompletableFuture<BlobResult> second = blobs.get(repo, layer.digest(), false);

        assertThat(first.get(10, TimeUnit.SECONDS).size()).isEqualTo(layer.bytes().length);
        assertThat(second.get(10, TimeUnit.SECONDS).size()).isEqualTo(layer.bytes().length);
        Awaits.until(() -> f.disk.statNow(layer.digest()).isPresent(), Duration.ofSeconds(10), "the fill committed");
        assertThat(Files.readAllBytes(f.disk.pathOf(layer.digest()))).isEqualTo(layer.bytes());
        Awaits.until(() -> f.heardCount("fillCommitted " + layer.digest() + " UPSTREAM") == 1, Duration.ofSeconds(10),
                "the commit reported");
        assertThat(asked("GET", "/blobs/" + layer.digest())).as("blob GETs upstream").isEqualTo(1);

        BlobResult warm = blobs.get(repo, layer.digest(), false).get(10, TimeUnit.SECONDS);
        assertThat(warm.outcome()).isEqualTo(CacheOutcome.HIT);
        assertThat(asked("GET", "/blobs/" + layer.digest())).as("a held blob is not fetched again").isEqualTo(1);
        assertThat(f.heard).filteredOn(e -> e.startsWith("fill")).hasSize(1);
    }

    @Test
    void anUpstream404IsRememberedForNotFoundTtlOnTheInjectedClock() throws Exception {
        serveImage();
        PullThroughBlobs blobs = blobs();
        Repository repo = f.repo("acme/app");
        Digest missing = Digest.sha256("not upstream".getBytes());

        assertThatThrownBy(() -> blobs.get(repo, missing, false).get(10, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class).cause().isInstanceOf(RegistryException.class)
                .extracting(e -> ((RegistryException) e).code()).isEqualTo(ErrorCode.BLOB_UNKNOWN);
        long askedOnce = upstream.requests().size();
        assertThatThrownBy(() -> blobs.get(repo, missing, false).get(10, TimeUnit.SECONDS)).cause()
                .extracting(e -> ((RegistryException) e).code()).isEqualTo(ErrorCode.BLOB_UNKNOWN);
        assertThat(upstream.requests()).as("remembered: upstream not asked again").hasSize((int) askedOnce);

        f.clock.advance(NOT_FOUND_TTL.plusSeconds(1));
        assertThatThrownBy(() -> blobs.get(repo, missing, false).get(10, TimeUnit.SECONDS)).cause()
                .extracting(e -> ((RegistryException) e).code()).isEqualTo(ErrorCode.BLOB_UNKNOWN);
        assertThat(upstream.requests().size()).as("forgotten after the TTL: asked again").isGreaterThan((int) askedOnce);
        assertThat(f.disk.statNow(missing)).isEmpty();
    }

    @Test
    void aTagIsServedFromTheCacheWithinItsTtlAndRevalidatedWithAHeadAfterIt() throws Exception {
        serveImage();
        PullThroughManifests manifests = manifests();
        Repository repo = f.repo("acme/app");
        Reference latest = Reference.parse("latest");

        ManifestResult cold = manifests.get(repo, latest, MediaTypes.MANIFEST_TYPES).get(10, TimeUnit.SECONDS);
        assertThat(cold.digest()).isEqualTo(image.digest());
        assertThat(cold.outcome()).isEqualTo(CacheOutcome.MISS);
        long gets = asked("GET", "/manifests/latest");
        long heads = asked("HEAD", "/manifests/latest");
        assertThat(gets).isEqualTo(1);

        f.clock.advance(TAG_TTL.minusSeconds(1));
        ManifestResult fresh = manifests.get(repo, latest, MediaTypes.MANIFEST_TYPES).get(10, TimeUnit.SECONDS);
        assertThat(fresh.outcome()).isEqualTo(CacheOutcome.HIT);
        assertThat(asked("HEAD", "/manifests/latest")).as("no revalidation within the TTL").isEqualTo(heads);

        f.clock.advance(Duration.ofSeconds(2));
        ManifestResult revalidated = manifests.get(repo, latest, MediaTypes.MANIFEST_TYPES).get(10, TimeUnit.SECONDS);
        assertThat(revalidated.digest()).isEqualTo(image.digest());
        assertThat(asked("HEAD", "/manifests/latest")).as("revalidated with a HEAD after the TTL").isEqualTo(heads + 1);
        assertThat(asked("GET", "/manifests/latest")).as("unchanged: not fetched again").isEqualTo(gets);
        assertThat(f.heardCount("manifestServed " + image.digest())).isEqualTo(3);
    }

    /**
     * An index is no proof that its repository holds the manifests it lists: an upstream that accepts an index
     * whose children are missing would otherwise let anyone who knows a private manifest's digest read it
     * through a public repository once Gantry holds it. The child is served there only after the upstream
     * confirms it (a HEAD in that repository); an index whose repository does hold the child still serves it.
     */
    @Test
    void anIndexDoesNotOpenTheManifestsItListsToItsRepository() throws Exception {
        TestImage secret = TestImage.builder().seed(12).layer(1_000).build();
        TestImage.Index bait = TestImage.Index.of(List.of(secret), false);
        TestImage.Index own = TestImage.Index.of(List.of(image), false);
        upstream = new ScriptedUpstream(req -> {
            String p = req.path();
            if (p.startsWith("/v2/corp/private/manifests/" + secret.digest())) {
                return answer(req, secret.manifest().mediaType(), secret.digest(), secret.manifest().bytes());
            }
            if (p.startsWith("/v2/att/x/manifests/1")) {
                return answer(req, bait.manifest().mediaType(), bait.digest(), bait.manifest().bytes());
            }
            if (p.startsWith("/v2/acme/app/manifests/1")) {
                return answer(req, own.manifest().mediaType(), own.digest(), own.manifest().bytes());
            }
            if (p.startsWith("/v2/acme/app/manifests/" + image.digest())) {
                return answer(req, image.manifest().mediaType(), image.digest(), image.manifest().bytes());
            }
            return ScriptedUpstream.Answer.of(404, Map.of("Content-Length", "0"), new byte[0], false);
        });
        f = new ServiceFixture(tmp, upstream.url());
        PullThroughManifests manifests = manifests();
        Repository privateRepo = f.repo("corp/private");
        Repository attacker = f.repo("att/x");
        Repository acme = f.repo("acme/app");
        manifests.get(privateRepo, Reference.of(secret.digest()), MediaTypes.MANIFEST_TYPES).get(10, TimeUnit.SECONDS);
        manifests.get(attacker, Reference.parse("1"), MediaTypes.MANIFEST_TYPES).get(10, TimeUnit.SECONDS);

        assertThatThrownBy(() -> manifests.get(attacker, Reference.of(secret.digest()), MediaTypes.MANIFEST_TYPES)
                .get(10, TimeUnit.SECONDS)).as("the private manifest through the index's repository")
                .hasRootCauseInstanceOf(RegistryException.class)
                .rootCause().satisfies(e -> assertThat(((RegistryException) e).code()).isEqualTo(ErrorCode.MANIFEST_UNKNOWN));
        assertThat(manifests.holds(attacker, secret.digest()).get(10, TimeUnit.SECONDS)).as("holds").isFalse();

        // An index whose repository holds its child: the child is served there, fetched or confirmed.
        manifests.get(acme, Reference.parse("1"), MediaTypes.MANIFEST_TYPES).get(10, TimeUnit.SECONDS);
        ManifestResult child = manifests.get(acme, Reference.of(image.digest()), MediaTypes.MANIFEST_TYPES).get(10, TimeUnit.SECONDS);
        assertThat(child.digest()).isEqualTo(image.digest());
        assertThat(manifests.holds(acme, image.digest()).get(10, TimeUnit.SECONDS)).isTrue();
    }
}
