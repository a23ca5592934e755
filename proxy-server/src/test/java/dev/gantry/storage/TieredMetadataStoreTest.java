package dev.gantry.storage;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.testing.Awaits;
import dev.gantry.testing.MutableClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The metadata contract on the tiered store (local disk in front of a shared
 * copy, here a second disk store so the test needs no S3 server; the S3 store
 * has its own run of the contract), plus what is the tiers' own: the local
 * copy is the truth while a shared write is pending.
 */
class TieredMetadataStoreTest extends MetadataStoreContract {

    @TempDir
    Path dir;

    /** Several threads, like the server's blocking pool: remote writes of one key may run at once. */
    private final ExecutorService background = Executors.newFixedThreadPool(4);
    private final MutableClock clock = MutableClock.startingNow();
    private DiskMetadataStore local;
    private DiskMetadataStore remote;
    private TieredMetadataStore tiered;

    @Override
    protected MetadataStore newStore() throws Exception {
        return newTiered(background);
    }

    private TieredMetadataStore newTiered(Executor executor) throws Exception {
        local = new DiskMetadataStore(dir.resolve("local"));
        remote = new DiskMetadataStore(dir.resolve("remote"));
        tiered = new TieredMetadataStore(local, remote, new RemoteHealth("test remote", clock, Duration.ofSeconds(10)), executor);
        return tiered;
    }

    /** Lets shared writes still queued land before the temporary directory is deleted under them. */
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

    private void awaitRemoteWrites() {
        Awaits.until(() -> tiered.pendingWrites() == 0, Duration.ofSeconds(10), "remote writes done");
    }

    @Test
    void writesReachTheSharedCopy() throws Exception {
        store.put("k/a", "1".getBytes(UTF_8));
        awaitRemoteWrites();
        assertThat(remote.get("k/a")).hasValue("1".getBytes(UTF_8));
        store.delete("k/a");
        awaitRemoteWrites();
        assertThat(remote.exists("k/a")).isFalse();
    }

    @Test
    void aRecordOnlyTheSharedCopyHoldsIsReadAndKeptLocally() throws Exception {
        remote.put("k/other-replica", "r".getBytes(UTF_8));
        assertThat(store.get("k/other-replica")).hasValue("r".getBytes(UTF_8));
        assertThat(local.get("k/other-replica")).hasValue("r".getBytes(UTF_8));
        assertThat(store.list("k/")).containsExactly("other-replica");
    }

    @Test
    void aRecordAnotherReplicaWroteToTheSharedCopyIsKeptHereWithoutASecondSharedWrite() throws Exception {
        Queue<Runnable> held = new ArrayDeque<>();
        newTiered(held::add);
        remote.put("k/link", "owner".getBytes(UTF_8));

        tiered.putHere("k/link", "mine".getBytes(UTF_8));

        assertThat(held).as("shared writes queued").isEmpty();
        assertThat(tiered.pendingWrites()).isZero();
        assertThat(tiered.get("k/link")).hasValue("mine".getBytes(UTF_8));
        assertThat(remote.get("k/link")).as("the shared copy, untouched").hasValue("owner".getBytes(UTF_8));
    }

    @Test
    void aRecordKeptHereWhileAWriteOfItIsOwedToTheSharedCopyIsOwedToo() throws Exception {
        Queue<Runnable> held = new ArrayDeque<>();
        newTiered(held::add);
        tiered.put("k/tag", "first".getBytes(UTF_8));

        tiered.putHere("k/tag", "second".getBytes(UTF_8));
        held.forEach(Runnable::run);

        // Else the owed write would leave the shared copy at a value this replica no longer holds.
        assertThat(remote.get("k/tag")).hasValue("second".getBytes(UTF_8));
        assertThat(local.get("k/tag")).hasValue("second".getBytes(UTF_8));
    }

    @Test
    void aDeleteWhoseSharedWriteIsPendingDoesNotComeBackFromTheSharedCopy() throws Exception {
        Queue<Runnable> held = new ArrayDeque<>();
        newTiered(held::add);
        remote.put("k/tag", "old".getBytes(UTF_8));
        local.put("k/tag", "old".getBytes(UTF_8));

        assertThat(tiered.delete("k/tag")).isTrue();

        assertThat(tiered.get("k/tag")).isEmpty();
        assertThat(tiered.exists("k/tag")).isFalse();
        assertThat(tiered.getLatest("k/tag")).isEmpty();
        assertThat(tiered.list("k/")).isEmpty();
        assertThat(tiered.listRecursive("k/")).isEmpty();
        assertThat(local.exists("k/tag")).as("not copied back into the local tier").isFalse();
        held.forEach(Runnable::run);
        assertThat(remote.exists("k/tag")).isFalse();
        assertThat(tiered.pendingWrites()).isZero();
    }

    @Test
    void theSharedCopyEndsWithTheLastWriteOfAKeyEvenWhenRemoteWritesRunOutOfOrder() throws Exception {
        Queue<Runnable> held = new ArrayDeque<>();
        newTiered(held::add);
        tiered.put("k/tag", "first".getBytes(UTF_8));
        tiered.put("k/tag", "second".getBytes(UTF_8));
        Runnable first = held.poll();
        Runnable second = held.poll();

        second.run();
        first.run();

        assertThat(remote.get("k/tag")).hasValue("second".getBytes(UTF_8));
        assertThat(tiered.pendingWrites()).isZero();
    }

    @Test
    void concurrentWritesOfOneKeyLeaveBothTiersWithTheSameValue() throws Exception {
        for (int i = 0; i < 50; i++) {
            store.put("k/moving", ("v" + i).getBytes(UTF_8));
        }
        awaitRemoteWrites();
        assertThat(remote.get("k/moving")).hasValue(local.get("k/moving").orElseThrow());
    }

    @Test
    void aSharedPutIsInTheSharedCopyWhenItReturnsAndAnOlderQueuedWriteDoesNotUndoIt() throws Exception {
        Queue<Runnable> held = new ArrayDeque<>();
        newTiered(held::add);
        tiered.put("k/tag", "cached".getBytes(UTF_8));

        tiered.putShared("k/tag", "pushed".getBytes(UTF_8));

        assertThat(remote.get("k/tag")).as("written before it returned").hasValue("pushed".getBytes(UTF_8));
        assertThat(local.get("k/tag")).hasValue("pushed".getBytes(UTF_8));
        assertThat(tiered.pendingWrites()).isZero();
        held.forEach(Runnable::run);
        assertThat(remote.get("k/tag")).hasValue("pushed".getBytes(UTF_8));
    }

    @Test
    void aSharedDeleteIsGoneFromTheSharedCopyWhenItReturns() throws Exception {
        Queue<Runnable> held = new ArrayDeque<>();
        newTiered(held::add);
        remote.put("k/tag", "old".getBytes(UTF_8));
        local.put("k/tag", "old".getBytes(UTF_8));

        assertThat(tiered.deleteShared("k/tag")).isTrue();

        assertThat(remote.exists("k/tag")).isFalse();
        assertThat(local.exists("k/tag")).isFalse();
        assertThat(held).as("nothing queued").isEmpty();
    }

    @Test
    void aSharedWriteThatFailsThrowsAndLeavesTheLocalCopyAsItWas() throws Exception {
        local = new DiskMetadataStore(dir.resolve("local"));
        local.put("k/tag", "old".getBytes(UTF_8));
        MetadataStore broken = new Unreachable();
        TieredMetadataStore failing = new TieredMetadataStore(local, broken,
                new RemoteHealth("test remote", clock, Duration.ofSeconds(10)), background);

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> failing.putShared("k/tag", "new".getBytes(UTF_8)))
                .isInstanceOf(java.io.IOException.class).hasMessageContaining("k/tag").hasMessageContaining("bucket unreachable");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> failing.deleteShared("k/tag"))
                .isInstanceOf(java.io.IOException.class);
        assertThat(local.get("k/tag")).hasValue("old".getBytes(UTF_8));
        assertThat(failing.pendingWrites()).as("nothing left to replay").isZero();
    }

    @Test
    void aSharedReadSeesWhatAnotherReplicaChangedOrDeletedAlthoughTheLocalCopyIsOld() throws Exception {
        store.put("k/tag", "mine".getBytes(UTF_8));
        awaitRemoteWrites();
        remote.put("k/tag", "theirs".getBytes(UTF_8));
        assertThat(tiered.getShared("k/tag")).hasValue("theirs".getBytes(UTF_8));

        remote.delete("k/tag");

        assertThat(tiered.get("k/tag")).as("the plain read keeps to the local copy").isPresent();
        assertThat(tiered.getShared("k/tag")).isEmpty();
    }

    @Test
    void aSharedExistenceCheckAndListingLeaveOutWhatAnotherReplicaDeletedAlthoughTheLocalCopyKeepsIt() throws Exception {
        store.put("tags/gone", "x".getBytes(UTF_8));
        store.put("tags/kept", "y".getBytes(UTF_8));
        awaitRemoteWrites();

        remote.delete("tags/gone");

        assertThat(local.exists("tags/gone")).as("the local copy is old").isTrue();
        assertThat(tiered.list("tags/")).as("the plain listing merges both copies").contains("gone");
        assertThat(tiered.existsShared("tags/gone")).isFalse();
        assertThat(tiered.existsShared("tags/kept")).isTrue();
        assertThat(tiered.listShared("tags/")).containsExactly("kept");
    }

    @Test
    void aSharedListingCountsWritesOfThisReplicaStillQueued() throws Exception {
        Queue<Runnable> held = new ArrayDeque<>();
        newTiered(held::add);
        remote.put("tags/old", "o".getBytes(UTF_8));
        remote.put("tags/kept", "k".getBytes(UTF_8));
        tiered.put("tags/new", "n".getBytes(UTF_8));
        tiered.delete("tags/old");

        assertThat(tiered.listShared("tags/")).containsExactly("kept", "new");
        assertThat(tiered.existsShared("tags/new")).isTrue();
        assertThat(tiered.existsShared("tags/old")).isFalse();
    }

    @Test
    void aSharedReadPrefersAWriteOfThisReplicaStillQueued() throws Exception {
        Queue<Runnable> held = new ArrayDeque<>();
        newTiered(held::add);
        remote.put("k/tag", "old".getBytes(UTF_8));
        tiered.put("k/tag", "new".getBytes(UTF_8));

        assertThat(tiered.getShared("k/tag")).hasValue("new".getBytes(UTF_8));
    }

    @Test
    void aLocalWriteDoesNotWaitWhileASharedWriteOfTheSameKeyHangs() throws Exception {
        newTiered(background);
        CountDownLatch answer = new CountDownLatch(1);
        CountDownLatch asked = new CountDownLatch(1);
        DiskMetadataStore shared = remote;
        // The shared copy takes its time with the first PUT (an S3 that answers only at its timeout).
        tiered = new TieredMetadataStore(local, new FirstCallWaits(shared, "PUT", asked, answer),
                new RemoteHealth("test remote", clock, Duration.ofSeconds(10)), background);
        try {
            tiered.put("tags/v1", "first".getBytes(UTF_8));
            assertThat(asked.await(10, TimeUnit.SECONDS)).as("the shared write under way").isTrue();

            // A record kept here (the manifest's owner writes the shared one), and a write of another key.
            CompletableFuture<Void> here = CompletableFuture.runAsync(() -> {
                try {
                    tiered.putHere("tags/v1", "second".getBytes(UTF_8));
                    tiered.put("tags/v2", "other".getBytes(UTF_8));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            here.get(10, TimeUnit.SECONDS); // before the fix: held until the shared PUT answered
            assertThat(tiered.get("tags/v1")).hasValue("second".getBytes(UTF_8));
        } finally {
            answer.countDown();
        }
        // A write was owed when it came, so the record kept here is owed to the shared copy too.
        awaitRemoteWrites();
        assertThat(shared.get("tags/v1")).hasValue("second".getBytes(UTF_8));
        assertThat(shared.get("tags/v2")).hasValue("other".getBytes(UTF_8));
    }

    @Test
    void aSharedReadAnsweredAfterALocalWriteOfItsKeyDoesNotOverwriteIt() throws Exception {
        newTiered(background);
        DiskMetadataStore shared = remote;
        shared.put("k/x", "old".getBytes(UTF_8)); // what another replica wrote, not here yet
        CountDownLatch asked = new CountDownLatch(1);
        CountDownLatch answer = new CountDownLatch(1);
        tiered = new TieredMetadataStore(local, new FirstCallWaits(shared, "GET", asked, answer),
                new RemoteHealth("test remote", clock, Duration.ofSeconds(10)), background);
        CompletableFuture<Optional<byte[]>> read = CompletableFuture.supplyAsync(() -> {
            try {
                return tiered.get("k/x");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        try {
            assertThat(asked.await(10, TimeUnit.SECONDS)).as("the shared read under way").isTrue();
            tiered.put("k/x", "new".getBytes(UTF_8));
            awaitRemoteWrites(); // sent and landed: nothing owed any more
        } finally {
            answer.countDown();
        }
        read.get(10, TimeUnit.SECONDS); // what the bucket held when asked: "old"

        assertThat(local.get("k/x")).as("the local copy").hasValue("new".getBytes(UTF_8));
        assertThat(tiered.get("k/x")).hasValue("new".getBytes(UTF_8));
    }

    /**
     * Passes every call on; the first call of {@code method} ({@code GET}: after reading its answer;
     * {@code PUT}: before writing) tells {@code asked} and waits for {@code answer}: a slow S3.
     */
    private static final class FirstCallWaits implements MetadataStore {
        private final MetadataStore inner;
        private final String method;
        private final CountDownLatch asked;
        private final CountDownLatch answer;

        FirstCallWaits(MetadataStore inner, String method, CountDownLatch asked, CountDownLatch answer) {
            this.inner = inner;
            this.method = method;
            this.asked = asked;
            this.answer = answer;
        }

        private void maybeWait(String call) throws IOException {
            if (call.equals(method) && asked.getCount() > 0) {
                asked.countDown();
                try {
                    answer.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted", e);
                }
            }
        }

        @Override
        public Optional<byte[]> get(String key) throws IOException {
            Optional<byte[]> value = inner.get(key);
            maybeWait("GET");
            return value;
        }

        @Override
        public boolean exists(String key) throws IOException {
            return inner.exists(key);
        }

        @Override
        public void put(String key, byte[] value) throws IOException {
            maybeWait("PUT");
            inner.put(key, value);
        }

        @Override
        public boolean delete(String key) throws IOException {
            return inner.delete(key);
        }

        @Override
        public List<String> list(String prefix) throws IOException {
            return inner.list(prefix);
        }

        @Override
        public List<String> listRecursive(String prefix) throws IOException {
            return inner.listRecursive(prefix);
        }
    }

    /** A shared copy that cannot be reached: every call fails as an S3 client's would. */
    private static final class Unreachable implements MetadataStore {
        private static java.io.IOException down() {
            return new java.io.IOException("bucket unreachable");
        }

        @Override
        public java.util.Optional<byte[]> get(String key) throws java.io.IOException {
            throw down();
        }

        @Override
        public boolean exists(String key) throws java.io.IOException {
            throw down();
        }

        @Override
        public void put(String key, byte[] value) throws java.io.IOException {
            throw down();
        }

        @Override
        public boolean delete(String key) throws java.io.IOException {
            throw down();
        }

        @Override
        public java.util.List<String> list(String prefix) throws java.io.IOException {
            throw down();
        }

        @Override
        public java.util.List<String> listRecursive(String prefix) throws java.io.IOException {
            throw down();
        }
    }
}
