package dev.gantry.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.config.HostedConfig;
import dev.gantry.oci.Digest;
import dev.gantry.oci.RepositoryName;
import dev.gantry.registry.ManifestStore.StoredManifest;
import dev.gantry.storage.DiskMetadataStore;
import dev.gantry.storage.MetadataStore;
import dev.gantry.storage.StorageLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cache index follows each store event: tag writes, moves and deletes, manifests stored and evicted. */
class CacheIndexTest {

    static final String IMAGE = "application/vnd.oci.image.manifest.v1+json";
    static final String INDEX = "application/vnd.oci.image.index.v1+json";
    static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

    @TempDir
    Path tmp;

    MetadataStore meta;
    ManifestStore manifests;
    CacheIndex index;
    TagStore tags;

    @BeforeEach
    void stores() throws Exception {
        meta = new DiskMetadataStore(tmp);
        manifests = new ManifestStore(meta, Runnable::run, 1 << 20);
        index = new CacheIndex(manifests);
        manifests.listen(index);
        tags = new TagStore(meta, Runnable::run, 1000, index);
    }

    static Repository repo(String name) {
        return Repository.hosted(name, new HostedConfig("local/", null), RepositoryName.of(name));
    }

    static StoredManifest image(String layer, long size) {
        String body = "{\"schemaVersion\":2,\"mediaType\":\"" + IMAGE + "\",\"config\":{\"mediaType\":"
                + "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + Digest.sha256(("c" + layer).getBytes(StandardCharsets.UTF_8))
                + "\",\"size\":10},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\""
                + Digest.sha256(layer.getBytes(StandardCharsets.UTF_8)) + "\",\"size\":" + size + "}]}";
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        return new StoredManifest(Digest.sha256(b), IMAGE, b);
    }

    static StoredManifest index(StoredManifest child) {
        String body = "{\"schemaVersion\":2,\"mediaType\":\"" + INDEX + "\",\"manifests\":[{\"mediaType\":\"" + IMAGE
                + "\",\"digest\":\"" + child.digest() + "\",\"size\":" + child.body().length
                + ",\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}}]}";
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        return new StoredManifest(Digest.sha256(b), INDEX, b);
    }

    static TagRecord record(StoredManifest m) {
        return new TagRecord(m.digest().toString(), m.mediaType(), NOW, NOW);
    }

    List<String> listed() {
        List<String> out = new ArrayList<>();
        for (CacheIndex.Repo r : index.entries(null)) {
            r.tags.forEach((tag, rec) -> out.add(r.repo.fullName() + ":" + tag + "@" + rec.digest()));
        }
        return out;
    }

    @Test
    void loadReadsEveryTagRecordAndLastPullOnce() throws Exception {
        StoredManifest a = image("a", 100);
        manifests.put(a).join();
        new TagStore(meta, Runnable::run, 1000).put(repo("local/b"), "1", record(a)).join();
        new TagStore(meta, Runnable::run, 1000).put(repo("local/a"), "1", record(a)).join();
        meta.put(StorageLayout.pulledKey(repo("local/a").namespace(), repo("local/a").name()),
                NOW.toString().getBytes(StandardCharsets.UTF_8));

        index.load(meta, (ns, name) -> repo(name), tags);

        assertThat(listed()).containsExactly("local/a:1@" + a.digest(), "local/b:1@" + a.digest());
        assertThat(index.entry(repo("local/a")).lastPull).isEqualTo(NOW);
        assertThat(index.entries("local/a")).extracting(r -> r.repo.fullName()).containsExactly("local/b");
        assertThat(index.parts(a.digest()).blobs()).containsValue(100L);
    }

    @Test
    void tagWritesMovesAndDeletesAreFollowed() {
        index.load(meta, (ns, name) -> repo(name), tags);
        StoredManifest a = image("a", 1);
        StoredManifest b = image("b", 2);

        tags.put(repo("local/x"), "v1", record(a)).join();
        assertThat(listed()).containsExactly("local/x:v1@" + a.digest());
        tags.put(repo("local/x"), "v1", record(b)).join();
        assertThat(listed()).containsExactly("local/x:v1@" + b.digest());
        tags.delete(repo("local/x"), "v1").join();
        assertThat(listed()).isEmpty();
        assertThat(index.entry(repo("local/x"))).as("a repository without tags leaves the listing").isNull();
        tags.put(repo("local/x"), "v2", record(a)).join();
        assertThat(listed()).containsExactly("local/x:v2@" + a.digest());
    }

    @Test
    void anEvictionDeletingTagsNowIsFollowed() throws Exception {
        index.load(meta, (ns, name) -> repo(name), tags);
        tags.put(repo("local/x"), "v1", record(image("a", 1))).join();

        tags.deleteNow(repo("local/x"), "v1");

        assertThat(listed()).isEmpty();
    }

    @Test
    void aPlatformManifestStoredAfterItsIndexIsCounted() throws Exception {
        index.load(meta, (ns, name) -> repo(name), tags);
        StoredManifest child = image("layer", 4096);
        StoredManifest idx = index(child);
        manifests.put(idx).join();
        assertThat(index.parts(idx.digest()).blobs()).as("the platform manifest is not held yet").isEmpty();

        manifests.cache(child);

        assertThat(index.parts(idx.digest()).blobs()).containsValue(4096L);
        assertThat(index.parts(idx.digest()).manifests()).containsKeys(idx.digest(), child.digest());
    }

    @Test
    void anEvictedManifestLeavesThePartsThatNamedIt() throws Exception {
        index.load(meta, (ns, name) -> repo(name), tags);
        StoredManifest child = image("layer", 7);
        StoredManifest idx = index(child);
        manifests.put(child).join();
        manifests.put(idx).join();
        assertThat(index.parts(idx.digest()).manifests()).containsKey(child.digest());

        manifests.evict(child.digest());

        assertThat(index.parts(idx.digest()).manifests()).doesNotContainKey(child.digest());
        assertThat(index.parts(child.digest()).manifests()).isEmpty();
    }

    @Test
    void lastPullIsFollowed() {
        index.load(meta, (ns, name) -> repo(name), tags);
        tags.put(repo("local/x"), "v1", record(image("a", 1))).join();

        index.pulled(repo("local/x"), NOW);

        assertThat(index.entry(repo("local/x")).lastPull).isEqualTo(NOW);
    }
}
