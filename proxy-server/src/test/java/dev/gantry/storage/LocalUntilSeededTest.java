package dev.gantry.storage;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.testing.Awaits;
import dev.gantry.testing.MutableClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The metadata contract on the store the registry reads while a seed runs
 * (a tiered store over two disk stores, the second playing the bucket), plus
 * what is its own: a record still owed to the bucket is read from the local
 * copy where the bucket has none, the bucket's own record wins, and a write
 * of this replica ends the debt for good ({@link SeedJournal}).
 */
class LocalUntilSeededTest extends MetadataStoreContract {

    private static final String TAG = "repositories/_hosted/local/app/_tags/1";
    private static final String TAGS = "repositories/_hosted/local/app/_tags/";
    private static final String BUCKET = "s3://gantry/fleet/";

    @TempDir
    Path dir;

    private final ExecutorService background = Executors.newFixedThreadPool(2);
    private DiskMetadataStore local;
    private DiskMetadataStore bucket;
    private TieredMetadataStore tiered;
    private LocalUntilSeeded seeding;

    @Override
    protected MetadataStore newStore() throws Exception {
        local = new DiskMetadataStore(dir.resolve("local"));
        bucket = new DiskMetadataStore(dir.resolve("bucket"));
        tiered = new TieredMetadataStore(local, bucket,
                new RemoteHealth("test bucket", MutableClock.startingNow(), Duration.ofSeconds(10)), background);
        seeding = new LocalUntilSeeded(tiered, local, SeedJournal.open(dir.resolve("data"), BUCKET));
        return seeding;
    }

    @AfterEach
    void stop() throws InterruptedException {
        background.shutdown();
        assertThat(background.awaitTermination(10, TimeUnit.SECONDS)).as("background writes finished").isTrue();
    }

    @Override
    protected void assertEscapedNothing() throws Exception {
        try (Stream<Path> all = Files.walk(dir)) {
            assertThat(all.filter(p -> p.getFileName().toString().contains("escaped"))).isEmpty();
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(UTF_8);
    }

    @Test
    void aRecordOwedToTheBucketIsReadFromTheLocalCopyUntilSettled() throws Exception {
        local.put(TAG, bytes("mine"));
        assertThat(store.getShared(TAG)).as("before it is owed: the bucket's answer").isEmpty();
        seeding.owe(List.of(TAG));

        assertThat(store.getShared(TAG)).hasValue(bytes("mine"));
        assertThat(store.existsShared(TAG)).isTrue();
        assertThat(store.listShared(TAGS)).containsExactly("1");

        assertThat(seeding.settle(TAG, () -> bucket.put(TAG, bytes("mine")))).isTrue();
        assertThat(seeding.owed()).isZero();
        assertThat(store.getShared(TAG)).hasValue(bytes("mine"));
    }

    @Test
    void theBucketsOwnRecordWinsOverAnOwedLocalOne() throws Exception {
        local.put(TAG, bytes("old"));
        bucket.put(TAG, bytes("pushed elsewhere"));
        seeding.owe(List.of(TAG));

        assertThat(store.getShared(TAG)).hasValue(bytes("pushed elsewhere"));
    }

    @Test
    void aDeleteHereEndsTheDebtSoNoLaterSeedOffersTheRecord() throws Exception {
        local.put(TAG, bytes("mine"));
        seeding.owe(List.of(TAG));

        store.deleteShared(TAG);

        assertThat(store.getShared(TAG)).isEmpty();
        assertThat(store.listShared(TAGS)).isEmpty();
        assertThat(seeding.settle(TAG, () -> bucket.put(TAG, bytes("mine")))).as("the seed's write, after the delete").isFalse();
        assertThat(bucket.exists(TAG)).isFalse();
        assertThat(SeedJournal.open(dir.resolve("data"), BUCKET).settled(TAG)).as("recorded for the next start").isTrue();
    }

    @Test
    void aPushHereOvertakesTheOwedCopy() throws Exception {
        local.put(TAG, bytes("old"));
        seeding.owe(List.of(TAG));

        store.putShared(TAG, bytes("new"));

        assertThat(bucket.get(TAG)).hasValue(bytes("new"));
        assertThat(seeding.settle(TAG, () -> bucket.put(TAG, bytes("old")))).isFalse();
        assertThat(store.getShared(TAG)).hasValue(bytes("new"));
    }

    @Test
    void aFailedSeedWriteLeavesTheRecordOwed() throws Exception {
        local.put(TAG, bytes("mine"));
        seeding.owe(List.of(TAG));

        try {
            seeding.settle(TAG, () -> {
                throw new java.io.IOException("bucket down");
            });
        } catch (java.io.IOException expected) {
            // The seed stops here; the record is still served from the local copy.
        }

        assertThat(seeding.owed()).isOne();
        assertThat(store.getShared(TAG)).hasValue(bytes("mine"));
        assertThat(SeedJournal.open(dir.resolve("data"), BUCKET).settled(TAG)).isFalse();
    }

    @Test
    void theJournalRemembersSettledRecordsOfItsBucketAndAFinishedSeed() throws Exception {
        Path data = dir.resolve("data2");
        SeedJournal first = SeedJournal.open(data, BUCKET);
        first.settle(TAG);
        first.close();

        assertThat(SeedJournal.open(data, BUCKET).settled(TAG)).isTrue();
        assertThat(SeedJournal.open(data, "s3://other/").settled(TAG)).as("another bucket's seed").isFalse();

        SeedJournal again = SeedJournal.open(data, BUCKET);
        assertThat(again.done()).isFalse();
        again.finish();
        assertThat(SeedJournal.open(data, BUCKET).done()).isTrue();
        assertThat(SeedJournal.open(data, "s3://other/").done()).isFalse();
        assertThat(StorageLayout.seedJournal(data)).doesNotExist();
    }

    @Test
    void writesOfKeysNotOwedGoStraightToTheTieredStore() throws Exception {
        store.putShared(TAG, bytes("pushed"));
        assertThat(bucket.get(TAG)).hasValue(bytes("pushed"));
        store.put("manifests/sha256/ab/abc", bytes("m"));
        Awaits.until(() -> tiered.pendingWrites() == 0, Duration.ofSeconds(10), "remote writes done");
        assertThat(bucket.get("manifests/sha256/ab/abc")).hasValue(bytes("m"));
    }
}
