package dev.gantry.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.config.UpstreamConfig;
import dev.gantry.oci.Digest;
import dev.gantry.oci.MediaTypes;
import dev.gantry.testing.MutableClock;
import dev.gantry.upstream.Upstream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The one hub of a blob's life: every listener hears each event in the
 * order registered, one that throws stops neither the others nor the
 * reporter, and a manifest counts as served anew once per
 * {@link BlobEventHub#REPLAN_AFTER} of the injected clock.
 */
class BlobEventHubTest {

    private final MutableClock clock = MutableClock.startingNow();
    private final BlobEventHub hub = new BlobEventHub(clock, 100);
    private final List<String> heard = new CopyOnWriteArrayList<>();
    private final Digest digest = Digest.sha256("blob".getBytes(StandardCharsets.UTF_8));

    private BlobEvents.Listener recording(String name) {
        return new BlobEvents.Listener() {
            @Override
            public void fillCommitted(Digest d, BlobTiers.Origin origin) {
                heard.add(name + " committed " + origin);
            }

            @Override
            public void manifestServed(Repository repo, ManifestResult m) {
                heard.add(name + " served");
            }

            @Override
            public void manifestServedAnew(Repository repo, ManifestResult m) {
                heard.add(name + " anew");
            }

            @Override
            public void scanned(Digest d) {
                heard.add(name + " scanned " + d.equals(digest));
            }
        };
    }

    @Test
    void aFailingListenerStopsNeitherTheOthersNorTheReporter() {
        hub.listen(recording("first"));
        hub.listen(new BlobEvents.Listener() {
            @Override
            public void fillCommitted(Digest d, BlobTiers.Origin origin) {
                throw new IllegalStateException("broken listener");
            }
        });
        hub.listen(recording("third"));

        hub.fillCommitted(digest, BlobTiers.Origin.UPSTREAM);

        assertThat(heard).containsExactly("first committed UPSTREAM", "third committed UPSTREAM");
    }

    @Test
    void aLayerScanIsReportedToEveryListener() {
        hub.listen(recording("first"));
        hub.listen(recording("second"));

        hub.scanned(digest);

        assertThat(heard).containsExactly("first scanned true", "second scanned true");
    }

    @Test
    void aManifestIsServedAnewOncePerReplanIntervalOfTheInjectedClock() {
        hub.listen(recording("l"));
        Repository repo = new RepositoryResolver(List.of(new Upstream(new UpstreamConfig("up", "http://127.0.0.1:1", true),
                clock))).resolve("acme/app", null);
        ManifestResult m = new ManifestResult("{}".getBytes(StandardCharsets.UTF_8), MediaTypes.OCI_MANIFEST, digest,
                CacheOutcome.HIT, null);

        hub.manifestServed(repo, m);
        hub.manifestServed(repo, m);
        clock.advance(BlobEventHub.REPLAN_AFTER.minus(Duration.ofMillis(1)));
        hub.manifestServed(repo, m);
        assertThat(heard).containsExactly("l served", "l anew", "l served", "l served");

        clock.advance(Duration.ofMillis(2));
        hub.manifestServed(repo, m);
        assertThat(heard).endsWith("l served", "l anew");
        assertThat(heard).filteredOn("l anew"::equals).hasSize(2);
    }
}
