package dev.gantry.it.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.fleet.Member;
import dev.gantry.fleet.Rendezvous;
import dev.gantry.oci.Digest;
import dev.gantry.oci.MediaTypes;
import dev.gantry.oci.RepositoryName;
import dev.gantry.storage.StorageLayout;
import dev.gantry.testing.Awaits;
import dev.gantry.testing.DistributionRegistry;
import dev.gantry.testing.Fleet;
import dev.gantry.testing.GantryServer;
import dev.gantry.testing.Http;
import dev.gantry.testing.Pusher;
import dev.gantry.testing.TestImage;
import dev.gantry.upstream.PeerFetch;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three replicas on one S3Proxy bucket, reached through an nginx that logs
 * every S3 request, in front of a real Distribution registry. An image pulled
 * through every replica is recorded in the bucket once, not once per
 * replica: each record (the manifest, its tag, the repository's links), each
 * blob's access marker for the day, and each layer's scan findings are
 * written by the replica that fetched the content from the upstream; the
 * others keep their copies locally and take the owner's findings. The owner
 * scans a layer though only another replica served the manifest naming it:
 * that replica says what the blob is when it asks the owner for it.
 */
class FleetRecordsIT {

    private static final String REPOSITORY = "library/frugal";
    private static final String PREFIX = "mirror/";

    @TempDir
    static Path tmp;

    static DistributionRegistry hub;
    static Fleet<GantryServer> fleet;
    static List<GantryServer> replicas;
    static final TestImage image = TestImage.builder().seed(2020).layers(6, 60_000).build();

    @BeforeAll
    static void start() throws IOException {
        hub = DistributionRegistry.start(tmp.resolve("hub"));
        new Pusher(hub.url()).push(REPOSITORY, "v1", image);
        // No wait for fills before a background scan: the owners scan as soon as the layers are in.
        fleet = Fleet.inProcess(tmp).upstream(hub.url())
                .config("prefetch:\n  mode: \"off\"\nhardware:\n  yieldToFills: 0s\n").sharedTokenKey()
                .bucketPrefix(PREFIX).fleetIds().s3Logged().start("replica-0", "replica-1", "replica-2");
        replicas = fleet.replicas();
        for (GantryServer r : replicas) {
            Awaits.until(() -> Fleet.memberIds(r), ids -> ids.size() == 3, Duration.ofSeconds(20));
        }
    }

    @AfterAll
    static void stop() throws IOException {
        if (fleet != null) {
            fleet.close();
        }
        if (hub != null) {
            hub.close();
        }
    }

    @Test
    void anImagePulledThroughEveryReplicaIsRecordedAndScannedInTheBucketOnce() {
        double[] before = replicas.stream().mapToDouble(FleetRecordsIT::scansDone).toArray();
        double scannedBefore = replicas.stream().mapToDouble(r -> r.gantry().metrics().value("gantry_scans_total", "complete")).sum();
        double adoptedBefore = replicas.stream().mapToDouble(r -> r.gantry().metrics().value("gantry_scans_total", "adopted")).sum();
        // Every replica serves the manifest (so each knows the layers for what they are), then every blob.
        for (GantryServer r : replicas) {
            Http.Response m = new Http(r.url()).get("/v2/" + REPOSITORY + "/manifests/v1", "Accept", MediaTypes.OCI_MANIFEST);
            assertThat(m.status()).as("manifest from %s", r.url()).isEqualTo(200);
            assertThat(Digest.sha256(m.body())).isEqualTo(image.digest());
        }
        List<TestImage.Blob> blobs = image.blobs().stream().filter(b -> !b.digest().equals(image.digest())).toList();
        for (TestImage.Blob b : blobs) {
            for (GantryServer r : replicas) {
                Http.Response got = new Http(r.url()).get("/v2/" + REPOSITORY + "/blobs/" + b.digest());
                assertThat(got.status()).as("blob %s from %s", b.digest(), r.url()).isEqualTo(200);
                assertThat(Digest.sha256(got.body())).isEqualTo(b.digest());
            }
        }
        int layers = image.layers().size();
        // Each replica is done with each layer: scanned it (it fetched it from the upstream), or took the
        // findings the replica that did stored (it got the layer from that replica or from the bucket).
        try {
            for (int i = 0; i < replicas.size(); i++) {
                GantryServer r = replicas.get(i);
                double from = before[i];
                Awaits.until(() -> scansDone(r) - from >= layers, Duration.ofSeconds(90), "layers scanned or adopted by " + r.url());
            }
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; scans by result per replica: " + replicas.stream()
                    .map(r -> new Http(r.url()).get("/metrics").text().lines().filter(l -> l.startsWith("gantry_scans_total"))
                            .collect(Collectors.joining(", "))).toList(), e);
        }
        Awaits.until(() -> replicas.stream().allMatch(Fleet::settled), Duration.ofSeconds(30), "uploads settled");

        double scanned = replicas.stream().mapToDouble(r -> r.gantry().metrics().value("gantry_scans_total", "complete")).sum()
                - scannedBefore;
        double adopted = replicas.stream().mapToDouble(r -> r.gantry().metrics().value("gantry_scans_total", "adopted")).sum()
                - adoptedBefore;
        System.out.println("fleet records: " + layers + " layers, 3 replicas -> scanned " + scanned + ", findings adopted " + adopted
                + "; S3 requests " + fleet.s3Requests().size());
        assertThat(scanned).as("layer scans in the whole fleet").isEqualTo(layers);
        assertThat(adopted).as("findings taken from the replica that scanned").isEqualTo(2.0 * layers);

        Map<String, Long> puts = fleet.s3Requests().stream().filter(l -> l.startsWith("PUT "))
                .map(l -> l.split(" ")[1]).collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
        RepositoryName repo = RepositoryName.of(REPOSITORY);
        for (TestImage.Blob layer : image.layers()) {
            assertThat(writesOf(puts, meta(StorageLayout.scanKey(layer.digest())))).as("findings of %s", layer.digest()).isEqualTo(1);
        }
        for (TestImage.Blob b : image.blobs()) {
            assertThat(writesOf(puts, meta(StorageLayout.linkKey("docker.io", repo, b.digest())))).as("link of %s", b.digest())
                    .isEqualTo(1);
        }
        assertThat(writesOf(puts, meta(StorageLayout.manifestKey(image.digest())))).as("the manifest").isEqualTo(1);
        assertThat(writesOf(puts, meta(StorageLayout.tagKey("docker.io", repo, "v1")))).as("the tag").isEqualTo(1);
        for (TestImage.Blob b : blobs) {
            String marker = "/" + Fleet.BUCKET + "/" + PREFIX + "access/" + b.digest().algorithm() + "/" + b.digest().hex() + "/";
            long markers = puts.entrySet().stream().filter(e -> e.getKey().startsWith(marker)).mapToLong(Map.Entry::getValue).sum();
            assertThat(markers).as("today's access markers of %s", b.digest()).isEqualTo(1);
        }
    }

    @Test
    void eachLayerIsScannedByTheReplicaThatFetchedItThoughOnlyAnotherServedItsManifest() {
        TestImage other = TestImage.builder().seed(2021).layers(6, 50_000).build();
        new Pusher(hub.url()).push("library/single-client", "v1", other);
        List<Member> members = replicas.stream().map(r -> new Member(id(r), null, null, null, null, "bucket")).toList();
        double[] scannedBefore = replicas.stream().mapToDouble(r -> r.gantry().metrics().value("gantry_scans_total", "complete")).toArray();
        GantryServer client = replicas.get(0);
        double adoptedBefore = client.gantry().metrics().value("gantry_scans_total", "adopted");

        // One client on one replica: the owners of most layers never see the manifest, only the peer requests.
        Http http = new Http(client.url());
        assertThat(http.get("/v2/library/single-client/manifests/v1", "Accept", MediaTypes.OCI_MANIFEST).status()).isEqualTo(200);
        for (TestImage.Blob b : other.blobs()) {
            if (!b.digest().equals(other.digest())) {
                assertThat(Digest.sha256(http.get("/v2/library/single-client/blobs/" + b.digest()).body())).isEqualTo(b.digest());
            }
        }

        long elsewhere = other.layers().stream().filter(l -> !owner(l.digest(), members).equals(id(client))).count();
        assertThat(elsewhere).as("layers owned by the other replicas (the test needs some)").isPositive();
        // The layer-type hint is what makes an owner scan only where the owner never saw the manifest either.
        String manifestOwner = Rendezvous.owner(PeerFetch.manifestKey(client.gantry().upstreams().get(0),
                "library/single-client", "v1"), members).id();
        assertThat(other.layers().stream().map(l -> owner(l.digest(), members))
                .filter(o -> !o.equals(id(client)) && !o.equals(manifestOwner)).count())
                .as("layers owned by neither %s nor the manifest's owner %s (the test needs some)", id(client), manifestOwner)
                .isPositive();
        // Well before the ~40 s after which the client's replica would scan them itself.
        Awaits.until(() -> client.gantry().metrics().value("gantry_scans_total", "adopted") - adoptedBefore >= elsewhere,
                Duration.ofSeconds(25), "findings of the layers other replicas fetched, taken by " + id(client));
        for (int i = 0; i < replicas.size(); i++) {
            GantryServer r = replicas.get(i);
            long owned = other.layers().stream().filter(l -> owner(l.digest(), members).equals(id(r))).count();
            assertThat(r.gantry().metrics().value("gantry_scans_total", "complete") - scannedBefore[i])
                    .as("layers %s scanned (it owns %d)", id(r), owned).isEqualTo(owned);
        }
    }

    private static String id(GantryServer r) {
        return "replica-" + replicas.indexOf(r);
    }

    private static String owner(Digest d, List<Member> members) {
        return Rendezvous.owner(PeerFetch.blobKey(d), members).id();
    }

    private static double scansDone(GantryServer r) {
        return r.gantry().metrics().value("gantry_scans_total", "complete") + r.gantry().metrics().value("gantry_scans_total", "adopted");
    }

    /** The request path of a metadata record's object. */
    private static String meta(String key) {
        return "/" + Fleet.BUCKET + "/" + PREFIX + "meta/" + key;
    }

    private static long writesOf(Map<String, Long> puts, String path) {
        return puts.getOrDefault(path, 0L);
    }
}
