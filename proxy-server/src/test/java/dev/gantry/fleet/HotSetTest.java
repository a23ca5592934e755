package dev.gantry.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.oci.Digest;
import dev.gantry.storage.DiskMetadataStore;
import dev.gantry.storage.StorageLayout;
import dev.gantry.testing.MutableClock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HotSetTest {

    @TempDir
    Path tmp;
    DiskMetadataStore bucket;
    final MutableClock clock = MutableClock.startingNow();

    static Digest digest(String s) {
        return Digest.sha256(s.getBytes(StandardCharsets.UTF_8));
    }

    @BeforeEach
    void open() throws Exception {
        bucket = new DiskMetadataStore(tmp);
    }

    private HotSet counting(String id) {
        HotSet h = new HotSet(id, bucket, clock);
        h.clientsFromNow();
        return h;
    }

    @Test
    void readsBeforeCountingStartsAreNotPublished() throws Exception {
        HotSet h = new HotSet("a", bucket, clock);
        h.served("lib/x", digest("x"), 10);
        h.publish();
        assertThat(bucket.exists(StorageLayout.fleetHotKey("a"))).isFalse();
        h.clientsFromNow();
        h.served("lib/y", digest("y"), 10);
        h.publish();
        assertThat(h.fleetHot()).extracting(HotSet.Entry::digest).containsExactly(digest("y").toString());
    }

    @Test
    void theFleetsListsMergeHottestFirstWithScoresSummed() {
        HotSet a = counting("a");
        HotSet b = counting("b");
        for (int i = 0; i < 3; i++) {
            a.served("lib/x", digest("x"), 10);
        }
        a.served("lib/y", digest("y"), 20);
        b.served("lib/y", digest("y"), 20);
        b.served("lib/y", digest("y"), 20);
        b.served("lib/y", digest("y"), 20);
        b.served("lib/z", digest("z"), 30);
        a.publish();
        b.publish();

        List<HotSet.Entry> hot = counting("c").fleetHot();
        assertThat(hot).extracting(HotSet.Entry::digest)
                .containsExactly(digest("y").toString(), digest("x").toString(), digest("z").toString());
        assertThat(hot.get(0).score()).isEqualTo(4.0);
        assertThat(hot.get(0).repository()).isEqualTo("lib/y");
        assertThat(hot.get(0).size()).isEqualTo(20);
    }

    @Test
    void countsAgeWithEachPublishAndAnIdleReplicaDoesNotRewriteItsList() throws Exception {
        HotSet a = counting("a");
        a.served("lib/x", digest("x"), 10);
        a.publish();
        byte[] written = bucket.get(StorageLayout.fleetHotKey("a")).orElseThrow();
        a.publish(); // nothing served since: the list stays as written
        assertThat(bucket.get(StorageLayout.fleetHotKey("a")).orElseThrow()).isEqualTo(written);
        a.served("lib/y", digest("y"), 10);
        a.publish();
        List<HotSet.Entry> hot = a.fleetHot();
        assertThat(hot).extracting(HotSet.Entry::digest).containsExactly(digest("y").toString(), digest("x").toString());
        assertThat(hot.get(1).score()).isLessThan(1.0).isGreaterThan(0.95);
    }

    @Test
    void aListOlderThanADayIsIgnoredAndRemoved() throws Exception {
        HotSet a = counting("a");
        a.served("lib/x", digest("x"), 10);
        a.publish();
        clock.advance(HotSet.MAX_AGE.plus(Duration.ofMinutes(1)));
        assertThat(counting("b").fleetHot()).isEmpty();
        assertThat(bucket.exists(StorageLayout.fleetHotKey("a"))).isFalse();
    }

    @Test
    void entriesThatCouldShapeAnotherRequestAreDropped() throws Exception {
        String list = "{\"id\":\"evil\",\"at\":" + clock.millis() + ",\"blobs\":["
                + "{\"repository\":\"../../admin?x=\",\"digest\":\"" + digest("a") + "\",\"size\":1,\"score\":5},"
                + "{\"repository\":\"lib/../../v2/_gantry\",\"digest\":\"" + digest("d") + "\",\"size\":1,\"score\":5},"
                + "{\"repository\":\"lib/ok\",\"digest\":\"not-a-digest\",\"size\":1,\"score\":5},"
                + "{\"repository\":\"lib/ok\",\"digest\":\"" + digest("b") + "\",\"size\":0,\"score\":5},"
                + "{\"repository\":\"lib/ok\",\"digest\":\"" + digest("c") + "\",\"size\":3,\"score\":5}]}";
        bucket.put(StorageLayout.fleetHotKey("evil"), list.getBytes(StandardCharsets.UTF_8));
        bucket.put(StorageLayout.fleetHotKey("garbage"), "not json".getBytes(StandardCharsets.UTF_8));
        assertThat(counting("b").fleetHot()).extracting(HotSet.Entry::digest).containsExactly(digest("c").toString());
    }
}
