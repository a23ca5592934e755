package dev.gantry.storage;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gantry.oci.Digest;
import dev.gantry.oci.RepositoryName;
import dev.gantry.testing.Awaits;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The contract every {@link MetadataStore} honours, as the registry relies on
 * it: whole-value replacement, empty values (repository links), putIfAbsent
 * for content-addressed records, sorted listings one level or all levels
 * deep, and keys that cannot leave the store. Each store's test extends this
 * and supplies a fresh, empty store.
 */
public abstract class MetadataStoreContract {

    protected MetadataStore store;

    /** A fresh, empty store. */
    protected abstract MetadataStore newStore() throws Exception;

    @BeforeEach
    void open() throws Exception {
        store = newStore();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(UTF_8);
    }

    @Test
    void aMissingKeyReadsAsEmptyAndDoesNotExist() throws Exception {
        assertThat(store.get("manifests/sha256/ab/missing")).isEmpty();
        assertThat(store.getLatest("manifests/sha256/ab/missing")).isEmpty();
        assertThat(store.exists("manifests/sha256/ab/missing")).isFalse();
    }

    @Test
    void aPutIsReadBackAsWritten() throws Exception {
        store.put("repositories/up/library/a/_tags/latest", bytes("{\"digest\":\"x\"}"));
        assertThat(store.get("repositories/up/library/a/_tags/latest")).hasValue(bytes("{\"digest\":\"x\"}"));
        assertThat(store.getLatest("repositories/up/library/a/_tags/latest")).hasValue(bytes("{\"digest\":\"x\"}"));
        assertThat(store.exists("repositories/up/library/a/_tags/latest")).isTrue();
    }

    @Test
    void aPutReplacesTheWholeValueEvenWithAShorterOne() throws Exception {
        store.put("k/tag", bytes("a long first value"));
        store.put("k/tag", bytes("short"));
        assertThat(store.get("k/tag")).hasValue(bytes("short"));
    }

    @Test
    void anEmptyValueIsARecordThatExists() throws Exception {
        // Repository links are empty records: their existence is the fact.
        store.put("k/_links/sha256/00", new byte[0]);
        assertThat(store.exists("k/_links/sha256/00")).isTrue();
        assertThat(store.get("k/_links/sha256/00")).hasValue(new byte[0]);
        assertThat(store.list("k/_links/sha256/")).containsExactly("00");
    }

    @Test
    void putIfAbsentKeepsTheFirstValue() throws Exception {
        store.putIfAbsent("manifests/sha256/aa/aa1", bytes("first"));
        store.putIfAbsent("manifests/sha256/aa/aa1", bytes("second"));
        assertThat(store.get("manifests/sha256/aa/aa1")).hasValue(bytes("first"));
    }

    @Test
    void deleteSaysWhetherTheKeyExistedAndRemovesIt() throws Exception {
        store.put("k/one", bytes("1"));
        assertThat(store.delete("k/one")).isTrue();
        assertThat(store.get("k/one")).isEmpty();
        assertThat(store.exists("k/one")).isFalse();
        assertThat(store.list("k/")).isEmpty();
        assertThat(store.delete("k/one")).isFalse();
        assertThat(store.delete("k/never")).isFalse();
    }

    @Test
    void aDeletedKeyCanBeWrittenAgain() throws Exception {
        store.put("k/one", bytes("1"));
        store.delete("k/one");
        store.put("k/one", bytes("2"));
        assertThat(store.get("k/one")).hasValue(bytes("2"));
    }

    @Test
    void listNamesTheRecordsDirectlyUnderAPrefixSorted() throws Exception {
        store.put("r/_tags/v2", bytes("2"));
        store.put("r/_tags/latest", bytes("l"));
        store.put("r/_tags/v1", bytes("1"));
        store.put("r/_tags/deeper/nested", bytes("n"));
        store.put("r/_tagsandmore", bytes("x"));
        store.put("other/_tags/v9", bytes("9"));
        assertThat(store.list("r/_tags/")).containsExactly("latest", "v1", "v2");
        assertThat(store.list("nothing/here/")).isEmpty();
    }

    @Test
    void listRecursiveNamesEveryRecordUnderAPrefixRelativeAndSorted() throws Exception {
        store.put("images/up/a/_at/sha256/22", bytes("2"));
        store.put("images/up/a/_at/sha256/11", bytes("1"));
        store.put("images/up/a/b/_at/sha256/33", bytes("3"));
        store.put("images/other/x/_at/sha256/44", bytes("4"));
        assertThat(store.listRecursive("images/up/"))
                .containsExactly("a/_at/sha256/11", "a/_at/sha256/22", "a/b/_at/sha256/33");
        assertThat(store.listRecursive("images/none/")).isEmpty();
    }

    @Test
    void keysFromTheLayoutRoundTrip() throws Exception {
        RepositoryName repo = RepositoryName.of("library/some-image.name_x");
        Digest d = Digest.sha256(bytes("manifest"));
        // Tags may hold dots, dashes and underscores, even two dots in a row ("v1..2" matches the tag grammar).
        List<String> keys = List.of(StorageLayout.manifestKey(d), StorageLayout.tagKey("registry-1.docker.io", repo, "v1..2"),
                StorageLayout.tagKey("registry-1.docker.io", repo, "_x.y-z"), StorageLayout.linkKey("up", repo, d),
                StorageLayout.pulledKey("up", repo), StorageLayout.catalogKey(repo));
        for (String key : keys) {
            store.put(key, bytes(key));
        }
        for (String key : keys) {
            assertThat(store.get(key)).as(key).hasValue(bytes(key));
        }
        assertThat(store.list(StorageLayout.tagsPrefix("registry-1.docker.io", repo)))
                .containsExactlyInAnyOrder("v1..2", "_x.y-z");
    }

    @Test
    void keysThatWouldLeaveTheStoreAreRefused() throws Exception {
        for (String key : List.of("../escaped", "k/../../escaped", "/etc/escaped", "k/..", "..")) {
            assertThatThrownBy(() -> store.put(key, bytes("x"))).as(key).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> store.get(key)).as(key).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> store.delete(key)).as(key).isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> store.list("../")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.listRecursive("k/../../")).isInstanceOf(IllegalArgumentException.class);
        assertEscapedNothing();
    }

    /** Each store checks, its own way, that no refused write landed outside it. */
    protected abstract void assertEscapedNothing() throws Exception;

    @Test
    void concurrentWritersOfOneKeyLeaveOneWholeValueAndReadersNeverSeeAMix() throws Exception {
        int writers = 4;
        int rounds = 10;
        ExecutorService pool = Executors.newFixedThreadPool(writers + 1);
        CyclicBarrier start = new CyclicBarrier(writers + 1);
        java.util.concurrent.atomic.AtomicInteger written = new java.util.concurrent.atomic.AtomicInteger();
        List<byte[]> values = new ArrayList<>();
        for (int i = 0; i < writers; i++) {
            byte[] v = new byte[50_000 + i * 1000];
            Arrays.fill(v, (byte) ('a' + i));
            values.add(v);
        }
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < writers; i++) {
                byte[] mine = values.get(i);
                done.add(pool.submit(() -> {
                    start.await();
                    for (int r = 0; r < rounds; r++) {
                        store.put("r/_tags/contended", mine);
                        written.incrementAndGet();
                    }
                    return null;
                }));
            }
            Future<Integer> reader = pool.submit(() -> {
                start.await();
                int seen = 0;
                for (int r = 0; r < rounds * 2; r++) {
                    var read = store.get("r/_tags/contended");
                    if (read.isPresent()) {
                        assertThat(values).as("a value read while others write").anySatisfy(v -> assertThat(read.get()).isEqualTo(v));
                        seen++;
                    }
                }
                return seen;
            });
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
            reader.get(60, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
        assertThat(written.get()).as("writes that succeeded").isPositive();
        byte[] last = store.get("r/_tags/contended").orElseThrow();
        assertThat(values).anySatisfy(v -> assertThat(last).isEqualTo(v));
        assertThat(store.list("r/_tags/")).containsExactly("contended");
    }

    @Test
    void concurrentWritersOfDifferentKeysAllLand() throws Exception {
        int writers = 4;
        int each = 15;
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        CyclicBarrier start = new CyclicBarrier(writers);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < writers; i++) {
                int w = i;
                done.add(pool.submit(() -> {
                    start.await();
                    for (int n = 0; n < each; n++) {
                        store.put("many/w" + w + "/k" + n, bytes(w + ":" + n));
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(store.listRecursive("many/")).hasSize(writers * each);
        assertThat(store.get("many/w3/k14")).hasValue(bytes("3:14"));
    }
    @Test
    void listEntriesGivesEachRecordDirectlyUnderAPrefixAnEtagThatChangesOnlyWithItsBytes() throws Exception {
        store.put("m/a", bytes("one"));
        store.put("m/b", bytes("two"));
        store.put("m/deeper/c", bytes("three"));
        List<MetadataStoreEntry> first = entriesOnceListed("m/", 2);
        assertThat(first).extracting(MetadataStoreEntry::name).containsExactly("a", "b");
        assertThat(first.get(0).etag()).isNotEqualTo(first.get(1).etag());
        assertThat(store.listEntries("nothing/here/")).isEmpty();

        store.put("m/a", bytes("one"));
        store.put("m/b", bytes("changed"));
        List<MetadataStoreEntry> second = Awaits.until(() -> entries("m/"),
                l -> l.size() == 2 && !l.get(1).etag().equals(first.get(1).etag()), Duration.ofSeconds(10));
        assertThat(second.get(0).etag()).as("etag of a record rewritten with equal bytes").isEqualTo(first.get(0).etag());
    }

    @Test
    void listEntriesShowsWhenARecordWasLastWrittenEvenWithEqualBytes() throws Exception {
        Instant before = Instant.now().minus(TIME_SLACK);
        store.put("m/a", bytes("one"));
        MetadataStoreEntry first = entriesOnceListed("m/", 1).get(0);
        assertThat(first.lastModified()).isBetween(before, Instant.now().plus(TIME_SLACK));
        // S3 keeps the time to the second: rewrite until it moves.
        MetadataStoreEntry later = Awaits.until(() -> {
            try {
                store.put("m/a", bytes("one"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return entries("m/").get(0);
        }, e -> e.lastModified().isAfter(first.lastModified()), Duration.ofSeconds(10));
        assertThat(later.etag()).isEqualTo(first.etag());
    }

    /** How far a store's clock (here: the same machine's, truncated to the second on S3) may be off. */
    private static final Duration TIME_SLACK = Duration.ofSeconds(2);

    private List<MetadataStoreEntry> entries(String prefix) {
        try {
            return store.listEntries(prefix);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The entries once {@code count} show (a tiered store shows its shared copy, written in the background). */
    private List<MetadataStoreEntry> entriesOnceListed(String prefix, int count) {
        return Awaits.until(() -> entries(prefix), l -> l.size() == count, Duration.ofSeconds(10));
    }
}
