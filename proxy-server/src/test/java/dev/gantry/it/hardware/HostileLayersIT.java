package dev.gantry.it.hardware;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gantry.testing.DistributionRegistry;
import dev.gantry.testing.GantryProcess;
import dev.gantry.testing.Http;
import dev.gantry.testing.Launcher;
import dev.gantry.testing.Pusher;
import dev.gantry.testing.StreamedLayer;
import dev.gantry.testing.SyntheticElf;
import dev.gantry.testing.TestImage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No layer can take the mirror down: the real jar, run with bin/gantry's
 * default flags (192 MiB heap, 96 MiB direct memory, exit on OOM), scans
 * hostile layers — a 1 GiB ELF file, a 200 MB library with a symbol table of
 * millions of entries, a gzip bomb, a million small files — while another
 * image keeps being pulled through it. The process stays up, never runs out
 * of memory, stays under a resident-set bound, and each hardware document
 * says {@code partial} with the limit that was hit.
 */
class HostileLayersIT {
    static final ObjectMapper JSON = new ObjectMapper();
    static final long RSS_BOUND = 600L << 20;

    @TempDir
    Path tmp;

    DistributionRegistry upstream;
    GantryProcess gantry;

    @BeforeEach
    void start() {
        upstream = DistributionRegistry.start(tmp.resolve("upstream"));
    }

    @AfterEach
    void stop() {
        if (gantry != null) {
            gantry.close();
        }
        upstream.close();
    }

    private static TestImage image(long seed, StreamedLayer layer) {
        return TestImage.builder().seed(seed).rawLayer(layer.gzip(), layer.diffId()).build();
    }

    @Test
    void hostileLayersScanPartialWhilePullsAreServedAndMemoryStaysBounded() throws Exception {
        SyntheticElf oneGiB = new SyntheticElf(16, 1L << 30);
        SyntheticElf symbols = new SyntheticElf(3_500_000, 200_000_000L - new SyntheticElf(3_500_000, 0).size());
        Map<String, TestImage> hostile = new LinkedHashMap<>();
        hostile.put("test/elf1g", image(1, StreamedLayer.of(w -> w.file("opt/intel/lib/libbig.so", oneGiB.size(), 0755,
                oneGiB::write))));
        hostile.put("test/symtab", image(2, StreamedLayer.of(w -> w.file("usr/lib/libsymbols.so", symbols.size(), 0755,
                symbols::write))));
        hostile.put("test/bomb", image(3, StreamedLayer.of(w -> w.file("zeros", 1L << 30, 0644, out -> {
            byte[] zeros = new byte[1 << 20];
            for (int i = 0; i < 1024; i++) {
                out.write(zeros);
            }
        }))));
        hostile.put("test/million", image(4, StreamedLayer.of(w -> {
            for (int i = 0; i < 1_000_000; i++) {
                w.file("usr/bin/d" + (i / 1000) + "/t" + (i % 1000), 0, 0755, out -> { });
            }
        })));
        Pusher pusher = new Pusher(upstream.url());
        hostile.forEach((repo, img) -> pusher.push(repo, "1", img));
        TestImage plain = TestImage.builder().seed(9).layers(2, 300_000).build();
        pusher.push("test/plain", "1", plain);

        gantry = GantryProcess.start(tmp.resolve("gantry"), "upstreams:\n  - name: docker.io\n    url: " + upstream.url()
                + "\n    default: true\nstorage:\n  disk:\n    path: " + tmp.resolve("gantry/data") + "\n"
                + "prefetch: {mode: \"off\"}\nhardware: {waitBudget: 10ms}\n", Launcher.jvmFlags());
        Http http = new Http(gantry.url());

        Map<String, JsonNode> documents = new LinkedHashMap<>();
        long maxRss = 0;
        int pulls = 0;
        int pullsWhileScanning = 0;
        long deadline = System.nanoTime() + Duration.ofMinutes(8).toNanos();
        while (documents.size() < hostile.size()) {
            assertThat(System.nanoTime()).as("all scans end within 8 minutes").isLessThan(deadline);
            assertThat(gantry.isAlive()).as("gantry is alive; its last output:\n%s", tail(gantry.output())).isTrue();
            int pending = 0;
            for (String repo : hostile.keySet()) {
                if (!documents.containsKey(repo)) {
                    Http.Response r = probe(http, "/v2/" + repo + "/_gantry/hardware/1");
                    assertThat(r.status()).as("hardware of %s: %s", repo, r.text()).isIn(200, 202);
                    if (r.status() == 200) {
                        documents.put(repo, JSON.readTree(r.body()));
                    } else {
                        pending++;
                    }
                }
            }
            pullAll(http, plain);
            pulls++;
            if (pending > 0 && stillScanning(http, hostile.keySet(), documents)) {
                pullsWhileScanning++; // a scan was running before the pull and still is after it
            }
            if (gantry.isAlive()) {
                maxRss = Math.max(maxRss, gantry.rssBytes());
            }
            Thread.sleep(200); // pacing of the probe; the assertions above do not depend on it
        }

        assertThat(pullsWhileScanning).as("pulls served while a hostile layer was being scanned (of %d)", pulls)
                .isGreaterThan(0);
        assertThat(gantry.isAlive()).isTrue();
        assertThat(String.join("\n", gantry.output())).doesNotContain("OutOfMemoryError");
        assertThat(maxRss).as("highest VmRSS, bytes").isLessThan(RSS_BOUND);

        assertPartial(documents.get("test/elf1g"), "/opt/intel/lib/libbig.so", "per-file limit");
        assertPartial(documents.get("test/symtab"), "/usr/lib/libsymbols.so", "per-file limit");
        assertPartial(documents.get("test/bomb"), "times its compressed size");
        assertPartial(documents.get("test/million"), "scan memory budget");
        System.out.printf("HostileLayersIT: %d pulls, %d during scans, max RSS %d MiB%n", pulls, pullsWhileScanning,
                maxRss >> 20);
        documents.forEach((repo, doc) -> System.out.printf("HostileLayersIT: %s %s: %s%n", repo,
                doc.at("/scan/status").asText(), doc.at("/scan/layers").get(doc.at("/scan/layers").size() - 1)
                        .path("reason").asText()));
    }

    /** A GET whose connection failure is reported with the server's last words (it exits on OOM). */
    private Http.Response probe(Http http, String path) {
        try {
            return http.get(path);
        } catch (RuntimeException e) {
            throw new AssertionError("GET " + path + " failed (" + e + "); gantry alive: " + gantry.isAlive()
                    + "; its last output:\n" + tail(gantry.output()), e);
        }
    }

    private static String tail(List<String> output) {
        return String.join("\n", output.subList(Math.max(0, output.size() - 20), output.size()));
    }

    private static boolean stillScanning(Http http, Iterable<String> repos, Map<String, JsonNode> done) {
        for (String repo : repos) {
            if (!done.containsKey(repo) && http.get("/v2/" + repo + "/_gantry/hardware/1").status() == 202) {
                return true;
            }
        }
        return false;
    }

    private static void pullAll(Http http, TestImage image) {
        Http.Response m = http.get("/v2/test/plain/manifests/1", "Accept", image.manifest().mediaType());
        assertThat(m.status()).as("manifest pull during scans").isEqualTo(200);
        for (TestImage.Blob b : image.blobs()) {
            Http.Response r = http.get("/v2/test/plain/blobs/" + b.digest());
            assertThat(r.status()).as("blob pull during scans").isEqualTo(200);
            assertThat(r.body()).isEqualTo(b.bytes());
        }
    }

    private static void assertPartial(JsonNode doc, String... reason) {
        assertThat(doc.at("/scan/status").asText()).as("document status: %s", doc.path("scan")).isEqualTo("partial");
        JsonNode layers = doc.at("/scan/layers");
        String last = layers.get(layers.size() - 1).path("reason").asText();
        assertThat(layers.get(layers.size() - 1).path("status").asText()).isEqualTo("partial");
        for (String r : reason) {
            assertThat(last).contains(r);
        }
    }
}
