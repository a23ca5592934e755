package dev.gantry.registry;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gantry.config.UpstreamConfig;
import dev.gantry.oci.Digest;
import dev.gantry.oci.RepositoryName;
import dev.gantry.registry.ManifestStore.StoredManifest;
import dev.gantry.storage.DiskMetadataStore;
import dev.gantry.testing.GantryServer;
import dev.gantry.testing.HtpasswdFile;
import dev.gantry.testing.MutableClock;
import dev.gantry.upstream.Upstream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The acceptance: the console's cache pages answer in under 100 ms
 * with 10,000 cached images. Fills the metadata store with 10,000 synthetic
 * images (1,000 repositories of 10 tags, each a distinct manifest of a
 * config and two layers) through the stores, starts Gantry on it, and times
 * {@code GET /v2/_gantry/cache/repositories} pages end to end over HTTP.
 */
class CacheListingBenchIT {

    static final int REPOSITORIES = 1_000;
    static final int TAGS = 10;
    static final String IMAGE = "application/vnd.oci.image.manifest.v1+json";
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @Test
    void aPageOfTheCacheListingAnswersInUnder100msWith10000Images() throws Exception {
        Path data = tmp.resolve("gantry");
        fill(data);
        Path htpasswd = HtpasswdFile.write(tmp.resolve("htpasswd"), Map.of("ops", "ops-Secret-1"));
        String auth = "Basic " + Base64.getEncoder().encodeToString("ops:ops-Secret-1".getBytes(StandardCharsets.UTF_8));
        HttpClient client = HttpClient.newHttpClient();
        try (GantryServer gantry = GantryServer.start("upstreams:\n  - name: docker.io\n    url: http://127.0.0.1:1\n    default: true\n"
                + "auth:\n  htpasswd: " + htpasswd + "\n  rules:\n    - {prefix: \"\", users: [ops], actions: [admin]}\n",
                data, MutableClock.startingNow())) {
            String base = gantry.url() + "/v2/_gantry/cache/repositories";
            long t0 = System.nanoTime();
            JsonNode first = get(client, base + "?n=50", auth);
            long firstMs = (System.nanoTime() - t0) / 1_000_000;
            assertThat(first.get("repositories")).hasSize(50);

            // Walk every page of 50 through the index, twice (the first pass warms the JIT).
            List<Long> pages = new ArrayList<>();
            int listed = 0;
            for (int pass = 0; pass < 2; pass++) {
                String last = null;
                listed = 0;
                do {
                    long s = System.nanoTime();
                    JsonNode page = get(client, base + "?n=50" + (last == null ? "" : "&last=" + last), auth);
                    long ns = System.nanoTime() - s;
                    if (pass == 1) {
                        pages.add(ns);
                    }
                    JsonNode repos = page.get("repositories");
                    for (JsonNode r : repos) {
                        listed += r.get("tags").size();
                        assertThat(r.get("bytes").asLong()).as("distinct blob bytes of the repository").isEqualTo(TAGS * (10 + 2 * 1000L));
                    }
                    last = repos.size() == 0 ? null : repos.get(repos.size() - 1).get("name").asText();
                } while (last != null && listed < REPOSITORIES * TAGS);
            }
            assertThat(listed).isEqualTo(REPOSITORIES * TAGS);
            Collections.sort(pages);
            double median = pages.get(pages.size() / 2) / 1e6;
            double p95 = pages.get(pages.size() * 95 / 100) / 1e6;

            long s = System.nanoTime();
            JsonNode all = get(client, base, auth);
            double allMs = (System.nanoTime() - s) / 1e6;
            assertThat(all.get("repositories")).hasSize(REPOSITORIES);

            System.out.printf("cache listing, %d images in %d repositories: first page (waits for the index load) %d ms; "
                            + "page of 50 over HTTP: median %.2f ms, p95 %.2f ms over %d pages; whole listing %.1f ms%n",
                    REPOSITORIES * TAGS, REPOSITORIES, firstMs, median, p95, pages.size(), allMs);
            assertThat(median).as("median page time, ms").isLessThan(100);
        }
    }

    private static JsonNode get(HttpClient client, String url, String auth) throws Exception {
        HttpResponse<byte[]> r = client.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", auth).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).as(url).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    private static void fill(Path data) throws Exception {
        DiskMetadataStore meta = new DiskMetadataStore(data);
        ManifestStore manifests = new ManifestStore(meta, Runnable::run, 1 << 20);
        TagStore tags = new TagStore(meta, Runnable::run, 1_000);
        UpstreamConfig c = new UpstreamConfig("docker.io", "http://127.0.0.1:1", true, null, null, null, null, null, null, null, null);
        Upstream upstream = new Upstream(c, Clock.systemUTC());
        Instant now = Instant.now();
        for (int r = 0; r < REPOSITORIES; r++) {
            String name = String.format("library/app%04d", r);
            Repository repo = Repository.proxied(name, upstream, RepositoryName.of(name));
            for (int t = 0; t < TAGS; t++) {
                StoredManifest m = manifest(name + ":" + t);
                manifests.put(m).join();
                tags.put(repo, "v" + t, new TagRecord(m.digest().toString(), IMAGE, now, now)).join();
            }
        }
    }

    private static StoredManifest manifest(String seed) {
        String body = "{\"schemaVersion\":2,\"mediaType\":\"" + IMAGE + "\",\"config\":{\"mediaType\":"
                + "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + sha(seed + "/config") + "\",\"size\":10},"
                + "\"layers\":[" + layer(seed + "/1") + "," + layer(seed + "/2") + "]}";
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        return new StoredManifest(Digest.sha256(b), IMAGE, b);
    }

    private static String layer(String seed) {
        return "{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"" + sha(seed) + "\",\"size\":1000}";
    }

    private static Digest sha(String s) {
        return Digest.sha256(s.getBytes(StandardCharsets.UTF_8));
    }
}
