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
}
