package dev.gantry.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gantry.fleet.HotSet;
import dev.gantry.oci.MediaTypes;
import dev.gantry.storage.DiskBlobStore;
import dev.gantry.storage.S3BlobStore;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Before a new process answers {@code /readyz}: a bounded burst of requests
 * to itself over loopback, through the real pipeline (codec, routing, auth,
 * registry, zero-copy blob sends), so that a rolling deploy sends clients to
 * compiled code rather than to a cold JVM serving at a third of its speed.
 *
 * <p>What it asks for is found through the API itself and never leaves the
 * process: the hosted repositories of {@code /v2/_catalog}, a tag of each,
 * its manifest and the blobs that manifest names (HEAD and GET of each),
 * plus {@code /v2/}; and the blobs of the fleet's hot set this replica's disk
 * holds ({@link HotCopy}: at most {@link #MAX_HOT_BLOBS}, through the
 * repository that served each). Hosted content is never fetched upstream,
 * and a hot blob is asked only once it is on this disk, through a repository
 * that served it (so linked to it), so the warm-up cannot cost upstream
 * requests. Requests are anonymous: where
 * anonymous pulls are off, only the refusals and {@code /v2/} are warmed.
 * Not done over TLS (the loopback client would have to trust any certificate).
 */
final class WarmUp {

    private static final Logger log = LoggerFactory.getLogger(WarmUp.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int CONNECTIONS = 4;
    private static final int MAX_REPOSITORIES = 5;
    static final int MAX_HOT_BLOBS = 32;
    private static final String ACCEPT = String.join(", ", MediaTypes.MANIFEST_TYPES);

    private final HttpClient client;
    private final String base;

    private WarmUp(HttpClient client, String base) {
        this.client = client;
        this.base = base;
    }

    /**
     * Finds what to ask for (at most {@code budget}), then replays it for
     * {@code budget}: at most twice the budget in all. Never throws. Blocks.
     *
     * @param hotBlobs paths ({@code /v2/<repository>/blobs/<digest>}) of blobs on this disk to ask for too
     */
    /**
     * Warms a server about to turn ready: a replica of a fleet ({@code hot} not null) first copies the
     * fleet's hot blobs from the bucket to its disk, then the server's own serving is warmed with
     * them and its hosted images; from then on its clients' blob GETs count toward the hot set.
     */
    static void beforeReady(String base, Duration budget, HotSet hot, S3BlobStore bucket, DiskBlobStore disk) {
        List<String> hotBlobs = hot == null ? List.of()
                : HotCopy.run(hot, bucket, disk, budget).stream()
                        .map(e -> "/v2/" + e.repository() + "/blobs/" + e.digest()).toList();
        run(base, budget, hotBlobs);
        if (hot != null) {
            hot.startCounting();
        }
    }

    static void run(String base, Duration budget, List<String> hotBlobs) {
        if (budget.isZero() || base.startsWith("https:")) {
            return;
        }
        long discoveryDeadline = System.nanoTime() + budget.toNanos();
        ExecutorService pool = Executors.newFixedThreadPool(CONNECTIONS, r -> {
            Thread t = new Thread(r, "gantry-warm-up");
            t.setDaemon(true);
            return t;
        });
        try {
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(pool)
                    .connectTimeout(Duration.ofSeconds(1)).build();
            WarmUp w = new WarmUp(client, base);
            List<HttpRequest> requests = w.discover(discoveryDeadline);
            for (String path : hotBlobs.subList(0, Math.min(hotBlobs.size(), MAX_HOT_BLOBS))) {
                requests.add(w.head(path).build());
                requests.add(w.get(path).build());
            }
            if (requests.size() == 1) {
                // Nothing cached to serve yet: no hot path to warm, and no reason to keep clients waiting.
                return;
            }
            // A cold JVM under load may spend most of the budget finding the requests: replay for a full one.
            long deadline = System.nanoTime() + budget.toNanos();
            AtomicLong sent = new AtomicLong();
            List<Thread> workers = new ArrayList<>();
            for (int i = 0; i < CONNECTIONS; i++) {
                int first = i;
                Thread t = new Thread(() -> w.replay(requests, first, deadline, sent), "gantry-warm-up-" + i);
                t.setDaemon(true);
                t.start();
                workers.add(t);
            }
            for (Thread t : workers) {
                t.join(budget.toMillis() + 2_000);
            }
            log.info("warmed up for {} ms before answering ready: {} requests to itself ({} distinct)",
                    budget.toMillis() - Math.max(0, (deadline - System.nanoTime()) / 1_000_000), sent.get(), requests.size());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.warn("warm-up stopped early: {}", e.toString());
        } finally {
            pool.shutdownNow();
        }
    }

    private void replay(List<HttpRequest> requests, int first, long deadline, AtomicLong sent) {
        for (int i = first; System.nanoTime() < deadline; i++) {
            send(requests.get(i % requests.size()));
            sent.incrementAndGet();
        }
    }

    /** The requests to replay: {@code /v2/}, then manifests and blobs of hosted images. */
    private List<HttpRequest> discover(long deadline) {
        List<HttpRequest> out = new ArrayList<>();
        out.add(get("/v2/").build());
        JsonNode catalog = json(get("/v2/_catalog?n=" + MAX_REPOSITORIES).build());
        for (JsonNode repo : catalog == null ? JSON.createArrayNode() : catalog.path("repositories")) {
            if (System.nanoTime() > deadline) {
                break;
            }
            String name = repo.asText();
            JsonNode tags = json(get("/v2/" + name + "/tags/list?n=1").build());
            if (tags == null || tags.path("tags").isEmpty()) {
                continue;
            }
            String tag = URLEncoder.encode(tags.path("tags").get(0).asText(), StandardCharsets.UTF_8);
            HttpRequest manifest = get("/v2/" + name + "/manifests/" + tag).header("Accept", ACCEPT).build();
            out.add(manifest);
            out.add(head("/v2/" + name + "/manifests/" + tag).header("Accept", ACCEPT).build());
            for (String digest : blobs(json(manifest))) {
                out.add(head("/v2/" + name + "/blobs/" + digest).build());
                out.add(get("/v2/" + name + "/blobs/" + digest).build());
            }
        }
        return out;
    }

    /** The config and layers an image manifest names (none for an index). */
    private static Set<String> blobs(JsonNode manifest) {
        Set<String> out = new LinkedHashSet<>();
        if (manifest == null) {
            return out;
        }
        if (manifest.path("config").hasNonNull("digest")) {
            out.add(manifest.path("config").path("digest").asText());
        }
        for (JsonNode layer : manifest.path("layers")) {
            out.add(layer.path("digest").asText());
        }
        return out;
    }

    private JsonNode json(HttpRequest request) {
        try {
            HttpResponse<byte[]> r = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
            return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (java.io.IOException | RuntimeException e) {
            return null;
        }
    }

    private void send(HttpRequest request) {
        try {
            client.send(request, HttpResponse.BodyHandlers.discarding());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.io.IOException | RuntimeException e) {
            // Best effort: a request that fails warmed what it reached.
        }
    }

    private HttpRequest.Builder get(String path) {
        return HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(2)).GET();
    }

    private HttpRequest.Builder head(String path) {
        return HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(2))
                .method("HEAD", HttpRequest.BodyPublishers.noBody());
    }
}
