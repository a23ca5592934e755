package dev.gantry.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gantry.oci.ErrorCode;
import dev.gantry.oci.MediaTypes;
import dev.gantry.oci.Reference;
import dev.gantry.oci.RegistryException;
import dev.gantry.testing.ScriptedUpstream;
import dev.gantry.testing.TestImage;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hosted services on their own, on real tiers in a temporary directory:
 * no server. A push is refused unless the repository holds every blob the
 * manifest names, and stores nothing then; a blob is served to the
 * repositories that hold it only. The upstream is never asked.
 */
class HostedServicesTest {

    @TempDir
    Path tmp;

    private final TestImage image = TestImage.builder().seed(21).layer(1000).build();
    private ScriptedUpstream upstream;
    private ServiceFixture f;
    private HostedBlobs blobs;
    private HostedManifests manifests;

    @BeforeEach
    void start() throws Exception {
        upstream = new ScriptedUpstream(req -> ScriptedUpstream.Answer.of(404, Map.of("Content-Length", "0"), new byte[0], false));
        f = new ServiceFixture(tmp, upstream.url());
        blobs = new HostedBlobs(f.tiers, f.fills, f.links, f.manifests);
        manifests = new HostedManifests(f.manifests, f.tags, f.links, new ReferrerStore(f.meta, f.blocking), f.meta,
                new PushedReferences(blobs, f.manifests, f.links), f.blocking, f.clock, f.events);
    }

    @AfterEach
    void stop() throws Exception {
        f.close();
        upstream.close();
    }

    private void holdBlobs(Repository repo) throws Exception {
        for (TestImage.Blob b : List.of(image.config(), image.layers().get(0))) {
            f.onDisk(b.digest(), b.bytes());
            f.links.link(repo, List.of(b.digest())).get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aPushNamingABlobTheRepositoryLacksIsRefusedWithManifestBlobUnknownAndStoresNothing() throws Exception {
        Repository repo = f.repo("hosted/app");
        TestImage.Blob m = image.manifest();
        // The config is there, the layer is not.
        f.onDisk(image.config().digest(), image.config().bytes());
        f.links.link(repo, List.of(image.config().digest())).get(10, TimeUnit.SECONDS);

        assertThatThrownBy(() -> manifests.put(repo, Reference.parse("v1"), List.of(), m.mediaType(), m.bytes())
                .get(10, TimeUnit.SECONDS)).cause().isInstanceOf(RegistryException.class)
                .extracting(e -> ((RegistryException) e).code()).isEqualTo(ErrorCode.MANIFEST_BLOB_UNKNOWN);

        assertThat(f.manifests.get(m.digest()).get(10, TimeUnit.SECONDS)).as("no manifest stored").isEmpty();
        assertThatThrownBy(() -> manifests.get(repo, Reference.parse("v1"), MediaTypes.MANIFEST_TYPES)
                .get(10, TimeUnit.SECONDS)).cause().extracting(e -> ((RegistryException) e).code())
                .isEqualTo(ErrorCode.MANIFEST_UNKNOWN);
        assertThat(f.heard).as("no push reported").noneMatch(e -> e.startsWith("manifestPushed"));
        assertThat(upstream.requests()).isEmpty();
    }

    @Test
    void aPushOfHeldBlobsIsStoredUnderItsTagAndReported() throws Exception {
        Repository repo = f.repo("hosted/app");
        holdBlobs(repo);
        TestImage.Blob m = image.manifest();

        var put = manifests.put(repo, Reference.parse("v1"), List.of(), m.mediaType(), m.bytes()).get(10, TimeUnit.SECONDS);

        assertThat(put.digest()).isEqualTo(m.digest());
        ManifestResult got = manifests.get(repo, Reference.parse("v1"), MediaTypes.MANIFEST_TYPES).get(10, TimeUnit.SECONDS);
        assertThat(got.digest()).isEqualTo(m.digest());
        assertThat(got.body()).isEqualTo(m.bytes());
        assertThat(f.heardCount("manifestPushed " + m.digest())).isEqualTo(1);
        assertThat(upstream.requests()).isEmpty();
    }

    /** A manifest's digest is no blob's: deleting it as a blob would leave its tag naming a manifest no longer served. */
    @Test
    void aManifestsDigestCannotBeDeletedAsABlob() throws Exception {
        Repository repo = f.repo("hosted/app");
        holdBlobs(repo);
        TestImage.Blob m = image.manifest();
        manifests.put(repo, Reference.parse("v1"), List.of(), m.mediaType(), m.bytes()).get(10, TimeUnit.SECONDS);

        assertThatThrownBy(() -> blobs.delete(repo, m.digest()).get(10, TimeUnit.SECONDS)).cause()
                .isInstanceOf(RegistryException.class).extracting(e -> ((RegistryException) e).code()).isEqualTo(ErrorCode.BLOB_UNKNOWN);

        assertThat(manifests.get(repo, Reference.parse("v1"), MediaTypes.MANIFEST_TYPES).get(10, TimeUnit.SECONDS).digest())
                .as("the tag still served").isEqualTo(m.digest());
    }

    @Test
    void aBlobIsServedOnlyToARepositoryThatHoldsIt() throws Exception {
        Repository holder = f.repo("hosted/app");
        Repository other = f.repo("hosted/other");
        holdBlobs(holder);
        TestImage.Blob layer = image.layers().get(0);

        BlobResult held = blobs.get(holder, layer.digest(), false).get(10, TimeUnit.SECONDS);
        assertThat(held.outcome()).isEqualTo(CacheOutcome.HIT);
        assertThat(held.size()).isEqualTo(layer.bytes().length);

        assertThatThrownBy(() -> blobs.get(other, layer.digest(), false).get(10, TimeUnit.SECONDS))
                .cause().extracting(e -> ((RegistryException) e).code()).isEqualTo(ErrorCode.BLOB_UNKNOWN);
        assertThat(upstream.requests()).isEmpty();
    }
}
