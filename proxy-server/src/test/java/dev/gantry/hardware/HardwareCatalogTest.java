package dev.gantry.hardware;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gantry.config.HostedConfig;
import dev.gantry.config.UpstreamConfig;
import dev.gantry.oci.Digest;
import dev.gantry.registry.Repository;
import dev.gantry.registry.RepositoryResolver;
import dev.gantry.schema.HardwareDocument;
import dev.gantry.schema.Level;
import dev.gantry.storage.DiskMetadataStore;
import dev.gantry.upstream.Upstream;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The catalog's bookkeeping: tags that move, images that go, the bound, paging, visibility, and the way back from the store. */
class HardwareCatalogTest {

    @TempDir
    Path tmp;

    final RepositoryResolver resolver = new RepositoryResolver(List.of(), List.of(new HostedConfig("local/", null)));
    final Repository app = resolver.resolve("local/app", null);
    final Repository other = resolver.resolve("local/other", null);
    final SearchQuery everything = SearchQuery.parse(name -> List.of());
    DiskMetadataStore meta;
    HardwareCatalog catalog;

    @BeforeEach
    void setUp() throws Exception {
        meta = new DiskMetadataStore(tmp);
        catalog = new HardwareCatalog(new CatalogStore(meta, Runnable::run), Runnable::run, 100, (repo, manifest) -> true);
    }

    static HardwareDocument plain(Digest d, String arch) {
        return CatalogDocuments.doc(d, arch, 1, Map.of(), Map.of(), List.of());
    }

    /** An image manifest placed in {@code repo}, documented, and tagged. */
    Digest image(Repository repo, String seed, String... tags) {
        Digest d = CatalogDocuments.digest(seed);
        catalog.place(repo, d, List.of());
        catalog.documented(d, plain(d, "amd64"));
        for (String t : tags) {
            catalog.tag(repo, t, d);
        }
        return d;
    }

    Map<String, List<String>> tagsByDigest() {
        return catalog.search(everything, r -> true, null, 1000, null).results().stream()
                .collect(Collectors.toMap(SearchResult::digest, SearchResult::tags));
    }

    @Test
    void aTagThatMovesIsListedAtItsNewImageOnly() {
        Digest first = image(app, "a", "1", "latest");
        Digest second = image(app, "b");
        catalog.tag(app, "latest", second);
        assertThat(tagsByDigest()).isEqualTo(Map.of(first.toString(), List.of("1"), second.toString(), List.of("latest")));
    }

    @Test
    void anImageIsListedOnceItsDocumentIsKnownAndEachPlatformOfAnIndexSeparately() {
        Digest amd = CatalogDocuments.digest("amd");
        Digest arm = CatalogDocuments.digest("arm");
        Digest index = CatalogDocuments.digest("index");
        catalog.place(app, index, List.of(amd, arm));
        catalog.tag(app, "1", index);
        assertThat(catalog.size()).isZero();
        catalog.documented(arm, plain(arm, "arm64"));
        var results = catalog.search(everything, r -> true, null, 10, null).results();
        assertThat(results).hasSize(1);
        assertThat(results.get(0).digest()).isEqualTo(arm.toString());
        assertThat(results.get(0).index()).isEqualTo(index.toString());
        assertThat(results.get(0).tags()).containsExactly("1");
        assertThat(catalog.isPlatformInRepository(app, arm)).isTrue();
        assertThat(catalog.isPlatformInRepository(other, arm)).isFalse();
    }

    /**
     * A platform an index of a mirrored repository lists is found there only while the repository holds it
     * (its upstream may accept an index whose platforms it lacks, naming another repository's private image);
     * a hosted repository's index was checked when it was pushed.
     */
    @Test
    void aPlatformOfAMirroredIndexIsFoundOnlyWhereTheRepositoryHoldsIt() throws Exception {
        Upstream hub = new Upstream(new UpstreamConfig("pub.example", "http://127.0.0.1:1", false), Clock.systemUTC());
        Repository mirrored = new RepositoryResolver(List.of(hub)).resolve("pub.example/att/x", null);
        Digest secret = CatalogDocuments.digest("secret");
        Digest index = CatalogDocuments.digest("bait");
        Set<String> held = new java.util.HashSet<>();
        HardwareCatalog checked = new HardwareCatalog(new CatalogStore(meta, Runnable::run), Runnable::run, 100,
                (repo, manifest) -> held.contains(repo.fullName() + "@" + manifest));
        checked.place(mirrored, index, List.of(secret));
        checked.tag(mirrored, "1", index);
        checked.place(app, CatalogDocuments.digest("hosted-index"), List.of(secret));
        checked.documented(secret, plain(secret, "amd64")); // scanned as another repository's image

        assertThat(checked.search(everything, r -> true, null, 10, null).results()).extracting(SearchResult::repository)
                .as("where the platform is found while the mirrored repository does not hold it").containsExactly("local/app");
        held.add(mirrored.fullName() + "@" + secret);
        assertThat(checked.search(everything, r -> true, null, 10, null).results()).extracting(SearchResult::repository)
                .as("once it holds it").containsExactlyInAnyOrder("local/app", mirrored.fullName());
    }

    @Test
    void aDocumentNoRepositoryListsIsNotKept() {
        Digest d = CatalogDocuments.digest("unplaced");
        catalog.documented(d, plain(d, "amd64"));
        assertThat(catalog.hasDocument(d)).isFalse();
    }

    @Test
    void aRemovedImageAndItsTagsLeaveTheCatalog() {
        Digest d = image(app, "gone", "1");
        Digest kept = image(other, "gone"); // the same image in another repository stays
        catalog.remove(app, d);
        assertThat(tagsByDigest()).containsOnlyKeys(kept.toString());
        catalog.tag(app, "1", d);
        assertThat(catalog.search(everything, r -> true, null, 10, null).total()).isEqualTo(1);
    }

    @Test
    void aRepositoryRemovedAsAWholeLeavesNothingBehind() {
        image(app, "x", "1");
        image(app, "y", "2");
        Digest kept = image(other, "z", "1");
        catalog.removeRepository("local/app");
        assertThat(tagsByDigest()).containsOnlyKeys(kept.toString());
    }

    @Test
    void pastItsBoundTheCatalogListsNoMoreImages() {
        HardwareCatalog small = new HardwareCatalog(new CatalogStore(meta, Runnable::run), Runnable::run, 2, (repo, manifest) -> true);
        for (String s : List.of("1", "2", "3")) {
            Digest d = CatalogDocuments.digest(s);
            small.place(app, d, List.of());
            small.documented(d, plain(d, "amd64"));
        }
        assertThat(small.size()).isEqualTo(2);
    }

    @Test
    void whatTheCallerMayNotPullIsNeitherListedNorCounted() {
        image(app, "mine", "1");
        image(other, "theirs", "1");
        var page = catalog.search(everything, r -> r.fullName().equals("local/app"), null, 10, null);
        assertThat(page.total()).isEqualTo(1);
        assertThat(page.results()).extracting(SearchResult::repository).containsExactly("local/app");
    }

    @Test
    void pagesFollowTheCursorAndCountEverything() {
        for (int i = 0; i < 5; i++) {
            image(app, "p" + i);
        }
        var first = catalog.search(everything, r -> true, null, 2, null);
        assertThat(first.results()).hasSize(2);
        assertThat(first.total()).isEqualTo(5);
        var second = catalog.search(everything, r -> true, null, 2, first.next());
        var third = catalog.search(everything, r -> true, null, 2, second.next());
        assertThat(third.results()).hasSize(1);
        assertThat(third.next()).isNull();
        Set<String> seen = new java.util.TreeSet<>();
        for (var p : List.of(first, second, third)) {
            p.results().forEach(r -> seen.add(r.digest()));
        }
        assertThat(seen).hasSize(5);
    }

    @Test
    void theCatalogComesBackFromTheStore() throws Exception {
        Digest d = image(app, "kept", "1", "2");
        catalog.untag(app, "2");
        HardwareCatalog again = new HardwareCatalog(new CatalogStore(meta, Runnable::run), Runnable::run, 100, (repo, manifest) -> true);
        again.load(name -> resolver.resolve(name, null), digest -> digest.equals(d) ? Optional.of(plain(d, "amd64")) : Optional.empty());
        var results = again.search(everything, r -> true, null, 10, null).results();
        assertThat(results).hasSize(1);
        assertThat(results.get(0).tags()).containsExactly("1");
    }

    @Test
    void hardwareFiltersTakeAClassFamilyAndALevel() {
        Digest gpu = CatalogDocuments.digest("gpu");
        catalog.place(app, gpu, List.of());
        catalog.documented(gpu, CatalogDocuments.doc(gpu, "amd64", 2, Map.of("avx2", Level.SUPPORTED),
                Map.of("gpu.nvidia", Level.SUPPORTED), List.of("/dev/nvidia0")));
        assertThat(count("hardware=gpu.nvidia")).isZero();
        assertThat(count("hardware=gpu.nvidia:supported")).isOne();
        assertThat(count("hardware=gpu:supported")).isOne();
        assertThat(count("hardware=gp:supported")).as("a family ends at a dot").isZero();
        assertThat(count("feature=avx2")).isOne();
        assertThat(count("requires=avx2")).isZero();
        assertThat(count("runsOn=x86-64-v1")).isZero();
        assertThat(count("runsOn=x86-64-v2")).isOne();
        assertThat(count("devices=none")).isZero();
        assertThat(count("devices=any")).isOne();
    }

    private int count(String query) {
        Map<String, List<String>> params = new java.util.HashMap<>();
        for (String part : query.split("&")) {
            String[] kv = part.split("=", 2);
            params.computeIfAbsent(kv[0], k -> new java.util.ArrayList<>()).add(kv[1]);
        }
        return catalog.search(SearchQuery.parse(n -> params.getOrDefault(n, List.of())), r -> true, null, 10, null).total();
    }

    @Test
    void badParametersSayWhatIsExpected() {
        assertThatThrownBy(() -> SearchQuery.parse(n -> n.equals("runsOn") ? List.of("v2") : List.of()))
                .hasMessageContaining("runsOn").hasMessageContaining("x86-64-v1");
        assertThatThrownBy(() -> SearchQuery.parse(n -> n.equals("hardware") ? List.of("gpu:maybe") : List.of()))
                .hasMessageContaining("required").hasMessageContaining("supported");
        assertThatThrownBy(() -> SearchQuery.parse(n -> n.equals("feature") ? List.of("a b") : List.of()))
                .hasMessageContaining("feature");
    }
}
