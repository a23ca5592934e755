package dev.gantry.it.clients;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.testing.AccessLogRecorder;
import dev.gantry.testing.AccessLogRecorder.Entry;
import dev.gantry.testing.Awaits;
import dev.gantry.testing.DistributionRegistry;
import dev.gantry.testing.GantryServer;
import dev.gantry.testing.Http;
import dev.gantry.testing.MutableClock;
import dev.gantry.testing.Pusher;
import dev.gantry.testing.TestImage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What every container client must see when it pulls through Gantry from a
 * real upstream (CNCF Distribution from Debian): the digests of a direct pull,
 * the host's platform out of an index, no upstream blob request on a second
 * pull, and tags pulled before still pulling with the upstream stopped.
 *
 * <p>One suite, one subclass per client, in the manner of Distribution's
 * storage driver test suites. A subclass says how its client pulls through
 * the mirror, pulls directly and forgets an image; the upstream, Gantry and
 * the client are started once per class and every test works in a repository
 * of its own, with images no other test shares a blob with.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class MirrorClientContract {

    static final Duration TAG_TTL = Duration.ofSeconds(60);
    /** How long Gantry may take to log a request whose response the client already has. */
    static final Duration LOGGED = Duration.ofSeconds(10);
    static final String HOST_ARCHITECTURE = switch (System.getProperty("os.arch")) {
        case "aarch64", "arm64" -> "arm64";
        default -> "amd64";
    };
    static final String OTHER_ARCHITECTURE = HOST_ARCHITECTURE.equals("amd64") ? "arm64" : "amd64";

    DistributionRegistry upstream;
    GantryServer gantry;
    MutableClock clock;
    AccessLogRecorder gantryLog;
    private long seed = 1000;

    /**
     * What a client recorded for a pull.
     *
     * @param reference how the client names the image (to forget it)
     * @param digest    the manifest digest the client recorded for the reference
     * @param config    the digest of the image config it took (the image id of Docker and Podman)
     */
    record Pulled(String reference, String digest, String config) {
    }

    /** Media types an image is pushed with. */
    enum Schema {
        OCI, DOCKER;

        TestImage.Builder image(long seed, String architecture) {
            TestImage.Builder b = TestImage.builder().seed(seed).platform("linux", architecture);
            return this == DOCKER ? b.docker() : b;
        }

        String slug() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Starts the client under {@code dir}; {@link #upstream} and {@link #gantry} are running. */
    abstract void startClient(Path dir);

    abstract void stopClient();

    /** Pulls {@code docker.io/<repository>:<tag>} the way the client is configured to: through Gantry. */
    abstract Pulled pullThroughMirror(String repository, String tag);

    /** Pulls {@code <repository>:<tag>} straight from the upstream registry, bypassing Gantry. */
    abstract Pulled pullDirect(String repository, String tag);

    /** Removes a pulled image from the client's store, so that pulling it again must fetch every blob. */
    abstract void forget(Pulled pulled);

    /**
     * The digest the client records when it pulls {@code index} on this host:
     * the index's own for engines, which keep it as the image's repository digest.
     */
    String digestRecordedForIndex(TestImage.Index index, TestImage hostPlatform) {
        return index.digest().toString();
    }

    @BeforeAll
    void startUpstreamGantryAndClient(@TempDir Path dir) {
        upstream = DistributionRegistry.start(dir.resolve("upstream"));
        clock = MutableClock.startingNow();
        gantry = GantryServer.start("upstreams:\n"
                + "  - name: docker.io\n"
                + "    url: " + upstream.url() + "\n"
                + "    default: true\n"
                + "cache:\n"
                + "  tagTtl: " + TAG_TTL.toSeconds() + "s\n", dir.resolve("gantry"), clock);
        gantryLog = AccessLogRecorder.attach();
        startClient(dir.resolve("client"));
    }

    @AfterAll
    void stopEverything() {
        try {
            stopClient();
        } finally {
            if (gantryLog != null) {
                gantryLog.close();
            }
            if (gantry != null) {
                gantry.close();
            }
            if (upstream != null) {
                upstream.close();
            }
        }
    }

    long nextSeed() {
        return seed++;
    }

    void push(String repository, String tag, TestImage image) {
        new Pusher(upstream.url()).push(repository, tag, image);
    }

    void push(String repository, String tag, TestImage.Index index) {
        new Pusher(upstream.url()).push(repository, tag, index);
    }

    /**
     * The requests the upstream has logged, up to now: a marker request sent
     * after the pull must show up in Distribution's access log first, so a
     * line written a moment after its response was read is not missed.
     */
    List<DistributionRegistry.Request> upstreamRequests() {
        String marker = "/v2/?settled=" + UUID.randomUUID();
        assertThat(new Http(upstream.url()).get(marker).status()).as("upstream marker request").isEqualTo(200);
        List<DistributionRegistry.Request> seen = Awaits.waitFor("the upstream logging " + marker, LOGGED)
                .until(upstream::requests, logged -> logged.stream().anyMatch(r -> r.path().equals(marker)));
        return seen.stream().filter(r -> !r.path().equals(marker)).toList();
    }

    /** Gantry answered the client's request for the tag and a GET for every blob of {@code image}, with success. */
    void assertPulledThroughGantry(String repository, String tag, TestImage image) {
        gantryLog.await("a successful request for " + repository + ":" + tag,
                e -> e.isSuccess() && e.is(repository, "manifests", tag), LOGGED);
        for (TestImage.Blob blob : image.blobs()) {
            gantryLog.await("a successful GET of " + repository + "@" + blob.digest(),
                    e -> e.isGet() && e.isSuccess() && e.is(repository, "blobs", blob.digest().toString()), LOGGED);
        }
    }

    @ParameterizedTest(name = "{0} media types")
    @EnumSource(Schema.class)
    void singlePlatformImagePullsWithTheDigestOfADirectPull(Schema schema) {
        String repository = "it/single-" + schema.slug();
        TestImage image = schema.image(nextSeed(), HOST_ARCHITECTURE).layer(300_000).layer(20_000).build();
        push(repository, "1", image);

        Pulled mirrored = pullThroughMirror(repository, "1");
        assertPulledThroughGantry(repository, "1", image);
        forget(mirrored);
        Pulled direct = pullDirect(repository, "1");
        forget(direct);

        assertThat(mirrored.digest()).as("manifest digest recorded by a pull through Gantry vs a direct pull")
                .isEqualTo(direct.digest());
        assertThat(mirrored.digest()).as("manifest digest vs the one computed when the image was built")
                .isEqualTo(image.digest().toString());
        assertThat(mirrored.config()).as("image config taken through Gantry vs directly")
                .isEqualTo(direct.config())
                .isEqualTo(image.config().digest().toString());
    }

    @ParameterizedTest(name = "{0} media types")
    @EnumSource(Schema.class)
    void multiPlatformIndexPullsTheHostPlatformWithTheDigestOfADirectPull(Schema schema) {
        String repository = "it/multi-" + schema.slug();
        TestImage other = schema.image(nextSeed(), OTHER_ARCHITECTURE).layer(50_000).build();
        TestImage host = schema.image(nextSeed(), HOST_ARCHITECTURE).layer(50_000).build();
        // The host's platform comes second: a client that took the first entry would get the wrong image.
        TestImage.Index index = TestImage.Index.of(List.of(other, host), schema == Schema.DOCKER);
        push(repository, "1", index);

        Pulled mirrored = pullThroughMirror(repository, "1");
        assertPulledThroughGantry(repository, "1", host);
        gantryLog.await("a GET of the " + HOST_ARCHITECTURE + " manifest",
                e -> e.isGet() && e.isSuccess() && e.is(repository, "manifests", host.digest().toString()), LOGGED);
        List<String> otherDigests = new ArrayList<>(List.of(other.digest().toString()));
        other.blobs().forEach(b -> otherDigests.add(b.digest().toString()));
        assertThat(gantryLog.entries(e -> otherDigests.stream().anyMatch(d -> e.path().endsWith("/" + d))))
                .as("requests for the %s image", OTHER_ARCHITECTURE).isEmpty();
        forget(mirrored);
        Pulled direct = pullDirect(repository, "1");
        forget(direct);

        String expected = digestRecordedForIndex(index, host);
        assertThat(mirrored.digest()).as("digest recorded by a pull through Gantry vs a direct pull").isEqualTo(direct.digest());
        assertThat(mirrored.digest()).as("digest recorded vs the one computed when the index was built").isEqualTo(expected);
        assertThat(mirrored.config()).as("config of the %s image", HOST_ARCHITECTURE)
                .isEqualTo(direct.config())
                .isEqualTo(host.config().digest().toString());
    }

    @Test
    void secondPullMakesNoUpstreamBlobRequests() {
        String repository = "it/second";
        TestImage image = Schema.OCI.image(nextSeed(), HOST_ARCHITECTURE).layer(200_000).layer(30_000).build();
        push(repository, "1", image);
        Pulled first = pullThroughMirror(repository, "1");
        assertThat(upstreamRequests()).filteredOn(r -> r.isBlobGet() && r.path().startsWith("/v2/" + repository + "/"))
                .as("upstream blob GETs on the first pull").hasSize(image.blobs().size());
        forget(first);
        upstream.resetLog();
        gantryLog.clear();

        Pulled second = pullThroughMirror(repository, "1");

        // The client really asked Gantry again for every blob; Gantry answered from its store.
        assertPulledThroughGantry(repository, "1", image);
        assertThat(second.digest()).as("digest of the second pull").isEqualTo(first.digest());
        assertThat(second.config()).as("config of the second pull").isEqualTo(first.config());
        assertThat(upstreamRequests()).filteredOn(DistributionRegistry.Request::isBlobGet)
                .as("upstream blob GETs on the second pull").isEmpty();
    }

    @Test
    void tagPulledBeforeStillPullsWhileUpstreamIsStopped() {
        String repository = "it/offline";
        TestImage image = Schema.DOCKER.image(nextSeed(), HOST_ARCHITECTURE).layer(100_000).build();
        push(repository, "1", image);
        Pulled before = pullThroughMirror(repository, "1");
        forget(before);

        // Past the tag's TTL Gantry must ask upstream about it, and cannot.
        clock.advance(TAG_TTL.plusSeconds(1));
        upstream.stop();
        try {
            gantryLog.clear();
            Pulled offline = pullThroughMirror(repository, "1");

            assertThat(offline.digest()).as("digest pulled with the upstream stopped").isEqualTo(before.digest());
            assertThat(offline.config()).as("config pulled with the upstream stopped").isEqualTo(before.config());
            assertPulledThroughGantry(repository, "1", image);
            List<Entry> tag = gantryLog.entries(e -> e.is(repository, "manifests", "1"));
            assertThat(tag).as("Gantry's answers for the tag").isNotEmpty();
            assertThat(tag.get(0).outcome()).as("first answer for the tag: %s", tag.get(0)).isEqualTo("stale");
            assertThat(tag).extracting(Entry::outcome).as("answers for the tag").isSubsetOf("stale", "hit");
        } finally {
            upstream.restart();
        }
    }
}
