package dev.gantry.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gantry.config.HostedConfig;
import dev.gantry.oci.Digest;
import dev.gantry.oci.RepositoryName;
import dev.gantry.storage.DiskMetadataStore;
import dev.gantry.storage.MetadataStore;
import dev.gantry.storage.RemoteHealth;
import dev.gantry.storage.StorageLayout;
import dev.gantry.storage.TieredMetadataStore;
import dev.gantry.testing.CountingMetadataStore;
import dev.gantry.testing.MutableClock;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pins over real metadata stores: a refresh makes the pins of the API those
 * the store holds (with a bucket, the shared copy), and leaves configured
 * pins and what revalidations found alone.
 */
class PinsTest {

    @TempDir
    Path dir;

    private final MutableClock clock = MutableClock.startingNow();

    private static Repository repo(String name) {
        return Repository.hosted(name, new HostedConfig("local/", null), RepositoryName.of(name));
    }

    private Pins pins(MetadataStore meta, String... configured) throws IOException {
        return new Pins(meta, clock, List.of(configured), (name, ignored) -> repo(name),
                (ns, name) -> Repository.HOSTED_NAMESPACE.equals(ns) ? repo(name) : null);
    }

    private static String key(String name, String tag) {
        return StorageLayout.pinKey(Repository.HOSTED_NAMESPACE, RepositoryName.of(name), tag);
    }

    private static byte[] record(String by) {
        return ("{\"pinnedAt\":\"2026-12-01T10:00:00Z\",\"pinnedBy\":\"" + by + "\"}").getBytes(StandardCharsets.UTF_8);
    }

    private static List<String> images(Pins pins) {
        return pins.all().stream().map(Pins.Pin::image).toList();
    }

    /** A replica's store: its own disk in front of the bucket every replica shares. */
    private TieredMetadataStore replica(String name, MetadataStore bucket) throws IOException {
        return new TieredMetadataStore(new DiskMetadataStore(dir.resolve(name)), bucket,
                new RemoteHealth("test bucket", clock, Duration.ofSeconds(10)), Runnable::run);
    }

    @Test
    void aPinDeletedInTheStoreDisappearsAfterARefreshAndANewOneAppears() throws IOException {
        MetadataStore meta = new DiskMetadataStore(dir.resolve("meta"));
        meta.put(key("local/old", "1"), record("ops"));
        Pins pins = pins(meta);
        assertThat(images(pins)).containsExactly("local/old:1");

        meta.delete(key("local/old", "1"));
        meta.put(key("local/new", "2"), record("alice"));
        assertThat(images(pins)).as("before the refresh").containsExactly("local/old:1");
        assertThat(pins.refresh()).isTrue();

        assertThat(images(pins)).containsExactly("local/new:2");
        Pins.Pin adopted = pins.get(repo("local/new"), "2");
        assertThat(adopted.source).isEqualTo(Pins.Source.API);
        assertThat(adopted.pinnedBy).isEqualTo("alice");
        assertThat(pins.refresh()).as("nothing changed since").isFalse();
    }

    @Test
    void aPinMadeOnOneReplicaIsAdoptedByTheOtherAndItsUnpinThereEndsItOnTheFirst() throws IOException {
        MetadataStore bucket = new DiskMetadataStore(dir.resolve("bucket"));
        Pins first = pins(replica("first", bucket));
        Pins second = pins(replica("second", bucket));

        assertThat(first.add(repo("local/app"), "1", "ops").getValue()).isTrue();
        assertThat(bucket.exists(key("local/app", "1"))).as("in the bucket once add returns").isTrue();
        assertThat(second.refresh()).isTrue();
        assertThat(images(second)).containsExactly("local/app:1");
        assertThat(second.get(repo("local/app"), "1").pinnedBy).isEqualTo("ops");

        second.remove(repo("local/app"), "1");
        assertThat(bucket.exists(key("local/app", "1"))).as("gone from the bucket once remove returns").isFalse();
        // The first replica's own disk still holds the record: only the bucket's copy says the pin is gone.
        assertThat(first.refresh()).isTrue();
        assertThat(images(first)).isEmpty();
    }

    @Test
    void aRefreshListsTheBucketOnceAndReadsOnlyPinsItDoesNotKnowYet() throws IOException {
        CountingMetadataStore bucket = new CountingMetadataStore(new DiskMetadataStore(dir.resolve("bucket")));
        Pins first = pins(replica("first", bucket));
        for (int i = 0; i < 5; i++) {
            first.add(repo("local/app" + i), "1", "ops");
        }
        Pins second = pins(replica("second", bucket));
        assertThat(images(second)).hasSize(5);
        int reads = bucket.count("GET") + bucket.count("HEAD");
        int lists = bucket.count("LIST");

        for (int i = 0; i < 10; i++) {
            assertThat(second.refresh()).isFalse();
        }
        assertThat(bucket.count("GET") + bucket.count("HEAD")).as("reads of pins already known").isEqualTo(reads);
        assertThat(bucket.count("LIST") - lists).as("one listing per refresh").isEqualTo(10);

        first.add(repo("local/new"), "1", "alice");
        int before = bucket.count("GET", key("local/new", "1"));
        assertThat(second.refresh()).isTrue();
        assertThat(bucket.count("GET", key("local/new", "1")) - before).as("the new pin, read once").isEqualTo(1);
        assertThat(second.get(repo("local/new"), "1").pinnedBy).isEqualTo("alice");
    }

    @Test
    void whileTheBucketCannotBeListedAPinRefreshChangesNothing() throws IOException {
        MetadataStore disk = new DiskMetadataStore(dir.resolve("bucket"));
        boolean[] down = {false};
        MetadataStore bucket = (MetadataStore) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {MetadataStore.class}, (proxy, method, args) -> {
                    if (down[0] && method.getName().startsWith("list")) {
                        throw new IOException("bucket unreachable");
                    }
                    try {
                        return method.invoke(disk, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        TieredMetadataStore first = replica("first", bucket);
        Pins pins = pins(first);
        pins.add(repo("local/app"), "1", "ops");
        pins.add(repo("local/gone"), "1", "ops");
        // Another replica unpins local/gone: the bucket loses it, this replica's own disk keeps its copy.
        disk.delete(key("local/gone", "1"));
        assertThat(pins.refresh()).isTrue();
        assertThat(images(pins)).containsExactly("local/app:1");

        down[0] = true;
        assertThatThrownBy(pins::refresh).isInstanceOf(IOException.class);
        assertThat(images(pins)).as("neither dropped nor brought back from this disk's copy").containsExactly("local/app:1");
    }

    @Test
    void aPinAnotherReplicaMadeCountsBeforeItIsAdopted() throws IOException {
        MetadataStore bucket = new DiskMetadataStore(dir.resolve("bucket"));
        Pins first = pins(replica("first", bucket));
        Pins second = pins(replica("second", bucket));
        first.add(repo("local/app"), "1", "ops");

        var again = second.add(repo("local/app"), "1", "alice");
        assertThat(again.getValue()).as("pinned already").isFalse();
        assertThat(again.getKey().pinnedBy).isEqualTo("ops");

        Pins third = pins(replica("third", bucket));
        first.add(repo("local/other"), "1", "ops");
        assertThat(third.remove(repo("local/other"), "1").image()).isEqualTo("local/other:1");
        assertThat(bucket.exists(key("local/other", "1"))).isFalse();
    }

    @Test
    void aRefreshLeavesConfiguredPinsAndWhatRevalidationFoundAlone() throws IOException {
        MetadataStore meta = new DiskMetadataStore(dir.resolve("meta"));
        meta.put(key("local/app", "1"), record("ops"));
        meta.put(key("local/conf", "1"), record("ops"));
        Pins pins = pins(meta, "local/conf:1");
        Digest found = Digest.sha256("manifest".getBytes(StandardCharsets.UTF_8));
        pins.get(repo("local/app"), "1").digest = found;

        meta.delete(key("local/conf", "1"));
        assertThat(pins.refresh()).isFalse();

        assertThat(pins.get(repo("local/conf"), "1").source).isEqualTo(Pins.Source.CONFIG);
        assertThat(pins.get(repo("local/app"), "1").digest).isEqualTo(found);
    }
}
