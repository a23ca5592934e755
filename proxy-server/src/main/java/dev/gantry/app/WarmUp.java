package dev.gantry.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gantry.fleet.HotSet;
import dev.gantry.oci.MediaTypes;
import dev.gantry.storage.DiskBlobStore;
import dev.gantry.storage.S3BlobStore;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Before a new process answers {@code /readyz}: requests to itself over
 * loopback, through the real pipeline (codec, routing, auth, registry,
 * zero-copy blob sends), until it serves them at steady speed
 * ({@link Steadiness}: the bytes it serves per second stopped rising and
 * the JIT went quiet) or {@code server.warmUp} ran out, so that a rolling
 * deploy sends clients to compiled code rather than to a cold JVM serving
 * at a third of its speed.
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
    /** Blobs up to this size are asked for again and again; bigger ones once. */
    static final long SMALL_BLOB = 1L << 20;
    private static final String ACCEPT = String.join(", ", MediaTypes.MANIFEST_TYPES);

    private final HttpClient client;
    private final String base;

    private WarmUp(HttpClient client, String base) {
        this.client = client;
        this.base = base;
    }

    /**
     * Warms a server about to turn ready: a replica of a fleet ({@code hot} not null) first copies the
     * fleet's hot blobs from the bucket to its disk, then the server's own serving is warmed with
     * them and its hosted images; from then on its clients' blob GETs count toward the hot set.
     */
    static void beforeReady(String base, Duration budget, HotSet hot, S3BlobStore bucket, DiskBlobStore disk) {
        List<LoopbackLoad.Ask> hotBlobs = hot == null ? List.of()
                : HotCopy.run(hot, bucket, disk, budget).stream()
                        .map(e -> new LoopbackLoad.Ask("GET", "/v2/" + e.repository() + "/blobs/" + e.digest(), null, e.size()))
                        .toList();
        run(base, budget, hotBlobs);
        if (hot != null) {
            hot.clientsFromNow();
        }
    }

    /**
     * Finds what to ask for (at most {@code budget}), then replays it until
     * the server is steady, for at most {@code budget}: at most twice the
     * budget in all. Never throws. Blocks.
     *
     * @param hotBlobs GETs ({@code /v2/<repository>/blobs/<digest>}) of blobs on this disk to ask for too
     */
    static void run(String base, Duration budget, List<LoopbackLoad.Ask> hotBlobs) {
        if (budget.isZero() || base.startsWith("https:")) {
            return;
        }
        ExecutorService pool = Executors.newFixedThreadPool(1, r -> {
            Thread t = new Thread(r, "gantry-warm-up");
            t.setDaemon(true);
            return t;
        });
        try {
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(pool)
                    .connectTimeout(Duration.ofSeconds(1)).build();
            WarmUp w = new WarmUp(client, base);
            List<LoopbackLoad.Ask> asks = w.discover(System.nanoTime() + budget.toNanos());
            for (LoopbackLoad.Ask get : hotBlobs.subList(0, Math.min(hotBlobs.size(), MAX_HOT_BLOBS))) {
                asks.add(new LoopbackLoad.Ask("HEAD", get.path(), null));
                asks.add(get);
            }
            if (asks.size() == 1) {
                // Nothing cached to serve yet: no hot path to warm, and no reason to keep clients waiting.
                return;
            }
            // A cold JVM under load may spend most of the budget finding the requests: replay for a full one.
            replayUntilSteady(URI.create(base), asks, System.nanoTime() + budget.toNanos());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.warn("warm-up stopped early: {}", e.toString());
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Sends every request once (the big blobs too: their pages are then in
     * the page cache), then the cheap ones round and round over
     * {@link #CONNECTIONS} keep-alive connections until the server answers
     * them at steady speed, or the deadline passes. Cheap: HEADs, manifests
     * and blobs up to {@link #SMALL_BLOB} bytes. A client's GET of a big blob
     * runs the same code in the server (the bytes go by {@code sendfile}), but
     * would cost this loopback client a copy of every byte on the cores the
     * server is being warmed on, and answer a tenth as often. Speed is
     * counted in answers per second.
     */
    private static void replayUntilSteady(URI base, List<LoopbackLoad.Ask> asks, long deadline) throws InterruptedException {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        boolean timed = jit != null && jit.isCompilationTimeMonitoringSupported();
        long started = System.nanoTime();
        new LoopbackLoad(base.getHost(), base.getPort(), asks).once(() -> System.nanoTime() < deadline);
        List<LoopbackLoad.Ask> cheap = asks.stream().filter(a -> a.size() <= SMALL_BLOB).toList();
        LoopbackLoad load = new LoopbackLoad(base.getHost(), base.getPort(), cheap.size() > 1 ? cheap : asks);
        Steadiness steadiness = new Steadiness();
        AtomicBoolean going = new AtomicBoolean(true);
        List<Thread> threads = load.start(CONNECTIONS, going::get);
        boolean steady = false;
        try {
            long seen = 0;
            while (!steady && System.nanoTime() < deadline) {
                Thread.sleep(Steadiness.WINDOW_MS);
                long total = load.answers();
                steady = steadiness.add(total - seen, timed ? jit.getTotalCompilationTime() : -1);
                seen = total;
            }
        } finally {
            going.set(false);
            for (Thread t : threads) {
                t.join(3_000);
            }
        }
        log.info("warmed up for {} ms before answering ready, {}: {} answers to itself ({} distinct requests); {}",
                (System.nanoTime() - started) / 1_000_000, steady ? "until it answered at steady speed" : "for its whole budget",
                load.answers() + asks.size(), asks.size(), steadiness.perSecond());
    }

    /** The requests to replay: {@code /v2/}, then manifests and blobs of hosted images. */
    private List<LoopbackLoad.Ask> discover(long deadline) {
        List<LoopbackLoad.Ask> out = new ArrayList<>();
        out.add(new LoopbackLoad.Ask("GET", "/v2/", null));
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
            String manifestPath = "/v2/" + name + "/manifests/" + tag;
            out.add(new LoopbackLoad.Ask("GET", manifestPath, ACCEPT));
            out.add(new LoopbackLoad.Ask("HEAD", manifestPath, ACCEPT));
            blobs(json(get(manifestPath).header("Accept", ACCEPT).build())).forEach((digest, size) -> {
                out.add(new LoopbackLoad.Ask("HEAD", "/v2/" + name + "/blobs/" + digest, null));
                out.add(new LoopbackLoad.Ask("GET", "/v2/" + name + "/blobs/" + digest, null, size));
            });
        }
        return out;
    }

    /** The config and layers an image manifest names, with their sizes (none for an index). */
    private static Map<String, Long> blobs(JsonNode manifest) {
        Map<String, Long> out = new LinkedHashMap<>();
        if (manifest == null) {
            return out;
        }
        if (manifest.path("config").hasNonNull("digest")) {
            out.put(manifest.path("config").path("digest").asText(), manifest.path("config").path("size").asLong(-1));
        }
        for (JsonNode layer : manifest.path("layers")) {
            out.put(layer.path("digest").asText(), layer.path("size").asLong(-1));
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

    private HttpRequest.Builder get(String path) {
        return HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(2)).GET();
    }
}
