package dev.gantry.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.config.HostedConfig;
import dev.gantry.config.UpstreamConfig;
import dev.gantry.oci.Digest;
import dev.gantry.oci.RepositoryName;
import dev.gantry.registry.BlobFillTest.ManualExecutor;
import dev.gantry.storage.DiskMetadataStore;
import dev.gantry.storage.MetadataStore;
import dev.gantry.storage.RemoteHealth;
import dev.gantry.storage.StorageLayout;
import dev.gantry.storage.TieredMetadataStore;
import dev.gantry.upstream.Upstream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** When links hold, and when the response that made them waits for the store. */
class RepositoryLinksTest {

    @TempDir
    Path tmp;

    private static final List<Digest> DIGESTS = List.of(
            Digest.sha256("one".getBytes(StandardCharsets.UTF_8)),
            Digest.sha256("two".getBytes(StandardCharsets.UTF_8)));

    private static Repository mirrored() {
        UpstreamConfig c = new UpstreamConfig("hub", "http://127.0.0.1:1", true, null, null, null, null, null, null, null, null);
        return Repository.proxied("library/x", new Upstream(c, Clock.systemUTC()), RepositoryName.of("library/x"));
    }

    private static Repository hosted() {
        return Repository.hosted("local/x", new HostedConfig("local/", null), RepositoryName.of("local/x"));
    }

    private static String key(Repository repo, Digest d) {
        return StorageLayout.linkKey(repo.namespace(), repo.name(), d);
    }

    @Test
    void linksAFleetOwnerRecordedAreKeptHereAndWrittenToTheBucketWhenItDidNot() throws Exception {
        DiskMetadataStore local = new DiskMetadataStore(tmp.resolve("local"));
        DiskMetadataStore bucket = new DiskMetadataStore(tmp.resolve("bucket"));
        MetadataStore tiered = new TieredMetadataStore(local, bucket,
                new RemoteHealth("bucket", Clock.systemUTC(), java.time.Duration.ofSeconds(10)), Runnable::run);
        RepositoryLinks links = new RepositoryLinks(tiered, Runnable::run, 1000);
        Repository repo = mirrored();

        links.link(repo, DIGESTS, true).join();

        for (Digest d : DIGESTS) {
            assertThat(local.exists(key(repo, d))).as("kept here").isTrue();
            assertThat(bucket.exists(key(repo, d))).as("left to the owner").isFalse();
        }
        links.recordShared(repo, DIGESTS);
        for (Digest d : DIGESTS) {
            assertThat(bucket.exists(key(repo, d))).as("written to the bucket when the owner did not").isTrue();
        }
    }

    @Test
    void aMirroredRepositorysLinksHoldAtOnceAndAreWrittenBehind() throws Exception {
        ManualExecutor blocking = new ManualExecutor();
        MetadataStore meta = new DiskMetadataStore(tmp);
        RepositoryLinks links = new RepositoryLinks(meta, blocking, 1000);
        Repository repo = mirrored();

        CompletableFuture<Void> linked = links.link(repo, DIGESTS);

        assertThat(linked).as("the manifest response does not wait for the store").isCompleted();
        assertThat(links.isLinked(repo, DIGESTS.get(1))).isCompletedWithValue(true);
        assertThat(meta.exists(key(repo, DIGESTS.get(0)))).isFalse();
        blocking.runAll();
        for (Digest d : DIGESTS) {
            assertThat(meta.exists(key(repo, d))).as("written behind").isTrue();
        }
        // A restart (an empty memory) still finds them.
        RepositoryLinks restarted = new RepositoryLinks(meta, Runnable::run, 1000);
        assertThat(restarted.isLinked(repo, DIGESTS.get(0)).get()).isTrue();
    }

    @Test
    void aHostedRepositorysLinksAreWrittenBeforeTheyAreAcknowledged() throws Exception {
        ManualExecutor blocking = new ManualExecutor();
        MetadataStore meta = new DiskMetadataStore(tmp);
        RepositoryLinks links = new RepositoryLinks(meta, blocking, 1000);
        Repository repo = hosted();

        CompletableFuture<Void> linked = links.link(repo, DIGESTS);

        assertThat(linked).as("a push is acknowledged only once its links are stored").isNotDone();
        blocking.runAll();
        assertThat(linked).isCompleted();
        assertThat(meta.exists(key(repo, DIGESTS.get(0)))).isTrue();
    }

    @Test
    void linkingOnATieredStoreNeverReadsTheSharedCopy() throws Exception {
        AtomicInteger remoteReads = new AtomicInteger();
        MetadataStore shared = new DiskMetadataStore(tmp.resolve("shared"));
        MetadataStore countingShared = new MetadataStore() {
            @Override
            public Optional<byte[]> get(String key) throws IOException {
                remoteReads.incrementAndGet();
                return shared.get(key);
            }

            @Override
            public boolean exists(String key) throws IOException {
                remoteReads.incrementAndGet();
                return shared.exists(key);
            }

            @Override
            public void put(String key, byte[] value) throws IOException {
                shared.put(key, value);
            }

            @Override
            public boolean delete(String key) throws IOException {
                return shared.delete(key);
            }

            @Override
            public List<String> list(String prefix) throws IOException {
                return shared.list(prefix);
            }

            @Override
            public List<String> listRecursive(String prefix) throws IOException {
                return shared.listRecursive(prefix);
            }
        };
        TieredMetadataStore tiered = new TieredMetadataStore(new DiskMetadataStore(tmp.resolve("local")), countingShared,
                new RemoteHealth("S3", Clock.systemUTC(), Duration.ofSeconds(30)), Runnable::run);
        RepositoryLinks links = new RepositoryLinks(tiered, Runnable::run, 1000);
        Repository repo = mirrored();

        links.link(repo, DIGESTS).get();

        assertThat(remoteReads).as("shared reads while linking").hasValue(0);
        assertThat(shared.exists(key(repo, DIGESTS.get(1)))).as("written to the shared copy too").isTrue();
    }

    /** Two replicas: each its own local disk, one shared copy (a disk store here; S3 in PushReadAfterWriteIT). */
    private TieredMetadataStore replica(String name, MetadataStore shared) throws IOException {
        return new TieredMetadataStore(new DiskMetadataStore(tmp.resolve(name)), shared,
                new RemoteHealth("S3", Clock.systemUTC(), Duration.ofSeconds(30)), Runnable::run);
    }

    @Test
    void aHostedLinkUnlinkedThroughAnotherReplicaIsNoLongerLinkedHere() throws Exception {
        MetadataStore shared = new DiskMetadataStore(tmp.resolve("shared"));
        RepositoryLinks onA = new RepositoryLinks(replica("a", shared), Runnable::run, 1000);
        RepositoryLinks onB = new RepositoryLinks(replica("b", shared), Runnable::run, 1000);
        Repository repo = hosted();
        onA.link(repo, DIGESTS).get();
        assertThat(onB.isLinked(repo, DIGESTS.get(0)).get()).as("B has looked it up, and holds a local copy").isTrue();

        onA.unlink(repo, DIGESTS.get(0)).get();

        assertThat(onB.isLinked(repo, DIGESTS.get(0)).get()).isFalse();
        assertThat(onB.isLinkedNow(repo, DIGESTS.get(0))).isFalse();
        assertThat(onB.isLinked(repo, DIGESTS.get(1)).get()).as("the other link stays").isTrue();
    }

    @Test
    void aHostedLinkThatAnotherReplicaUnlinkedIsWrittenAgainWhenPushedHere() throws Exception {
        MetadataStore shared = new DiskMetadataStore(tmp.resolve("shared"));
        RepositoryLinks onA = new RepositoryLinks(replica("a", shared), Runnable::run, 1000);
        RepositoryLinks onB = new RepositoryLinks(replica("b", shared), Runnable::run, 1000);
        Repository repo = hosted();
        onB.link(repo, List.of(DIGESTS.get(0))).get();
        onA.unlink(repo, DIGESTS.get(0)).get();

        onB.link(repo, List.of(DIGESTS.get(0))).get();

        assertThat(shared.exists(key(repo, DIGESTS.get(0)))).as("not skipped as already known").isTrue();
        assertThat(onA.isLinked(repo, DIGESTS.get(0)).get()).isTrue();
    }

    @Test
    void theHostedHoldersOfADigestAreKnownAfterLinkForgottenAfterUnlinkAndFoundAgainAfterARestart() throws Exception {
        MetadataStore meta = new DiskMetadataStore(tmp);
        RepositoryLinks links = new RepositoryLinks(meta, Runnable::run, 1000);
        Repository a = hosted();
        Repository b = Repository.hosted("local/y", new HostedConfig("local/", null), RepositoryName.of("local/y"));
        links.link(a, DIGESTS).get();
        links.link(b, List.of(DIGESTS.get(0))).get();
        links.link(mirrored(), List.of(DIGESTS.get(1))).get();

        assertThat(links.hostedHolders(DIGESTS.get(0))).containsExactlyInAnyOrder(a.name(), b.name());
        assertThat(links.hostedHolders(DIGESTS.get(1))).as("mirrored repositories are never holders").containsExactly(a.name());

        links.unlink(a, DIGESTS.get(0)).get();
        assertThat(links.hostedHolders(DIGESTS.get(0))).containsExactly(b.name());

        RepositoryLinks restarted = new RepositoryLinks(meta, Runnable::run, 1000);
        restarted.loadHosted();
        assertThat(restarted.hostedHolders(DIGESTS.get(0))).containsExactly(b.name());
        assertThat(restarted.hostedHolders(DIGESTS.get(1))).containsExactly(a.name());
    }
}
