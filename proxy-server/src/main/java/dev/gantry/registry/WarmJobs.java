package dev.gantry.registry;

import dev.gantry.oci.Descriptor;
import dev.gantry.oci.Digest;
import dev.gantry.oci.Manifest;
import dev.gantry.oci.MediaTypes;
import dev.gantry.oci.Reference;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Warming: fetching an image into the cache now, through the normal pull
 * path (one upstream fetch per digest, whoever else asks), its manifest, for
 * an index every platform manifest, then every config and layer onto disk,
 * a few at a time. Jobs are kept in memory an hour after they end.
 * Thread-safe.
 */
public final class WarmJobs {

    /** Blobs of one job fetched at once. */
    static final int PARALLEL = 4;
    private static final Duration KEEP = Duration.ofHours(1);
    private static final int MAX_JOBS = 1000;

    /** One warm and its progress. */
    public static final class Job {
        private final String id = UUID.randomUUID().toString().replace("-", "");
        private final Repository repo;
        private final String image;
        private final Instant startedAt;
        private final CompletableFuture<Digest> result = new CompletableFuture<>();
        private final AtomicInteger platforms = new AtomicInteger();
        private final AtomicInteger blobsTotal = new AtomicInteger();
        private final AtomicInteger blobsDone = new AtomicInteger();
        private final AtomicLong bytesTotal = new AtomicLong();
        private final AtomicLong bytesDone = new AtomicLong();
        private volatile Instant finishedAt;
        private volatile String error;

        Job(Repository repo, String image, Instant startedAt) {
            this.repo = repo;
            this.image = image;
            this.startedAt = startedAt;
        }

        public String id() {
            return id;
        }

        /** The repository it warms: who may see the job is who administers it. */
        public Repository repository() {
            return repo;
        }

        /** Completes with the image's manifest digest when every part is held, or fails with why not. */
        public CompletableFuture<Digest> result() {
            return result;
        }

        /** The job as the admin API shows it. */
        public Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", id);
            m.put("image", image);
            m.put("state", !result.isDone() ? "running" : error == null ? "done" : "failed");
            m.put("platforms", platforms.get());
            m.put("blobs", Map.of("total", blobsTotal.get(), "done", blobsDone.get()));
            m.put("bytes", Map.of("total", bytesTotal.get(), "done", bytesDone.get()));
            m.put("error", error);
            m.put("startedAt", startedAt.toString());
            m.put("finishedAt", finishedAt == null ? null : finishedAt.toString());
            return m;
        }
    }

    private final Registry registry;
    private final Clock clock;
    private final Map<String, Job> jobs = new ConcurrentHashMap<>();

    public WarmJobs(Registry registry, Clock clock) {
        this.registry = registry;
        this.clock = clock;
    }

    /**
     * Starts warming {@code reference} in {@code repo}.
     *
     * @param image how the job names the image ({@code docker.io/library/nginx:1.25})
     */
    public Job start(Repository repo, Reference reference, String image) {
        prune();
        Job job = new Job(repo, image, clock.instant());
        jobs.put(job.id, job);
        registry.fetchManifest(repo, reference, MediaTypes.MANIFEST_TYPES).thenCompose(root -> {
            Manifest parsed = Manifest.parse(root.body(), root.mediaType());
            if (!parsed.isIndex()) {
                return fetchBlobs(repo, job, parsed.blobs()).thenApply(v -> root.digest());
            }
            List<CompletableFuture<Manifest>> children = new ArrayList<>();
            for (Descriptor child : parsed.manifests()) {
                children.add(registry.fetchManifest(repo, Reference.of(child.parsedDigest()), MediaTypes.MANIFEST_TYPES)
                        .thenApply(m -> Manifest.parse(m.body(), m.mediaType())));
            }
            job.platforms.set(children.size());
            return CompletableFuture.allOf(children.toArray(CompletableFuture[]::new)).thenCompose(v -> {
                Map<String, Descriptor> blobs = new LinkedHashMap<>();
                children.forEach(c -> c.join().blobs().forEach(d -> blobs.putIfAbsent(d.digest(), d)));
                return fetchBlobs(repo, job, List.copyOf(blobs.values()));
            }).thenApply(v -> root.digest());
        }).whenComplete((digest, e) -> {
            job.finishedAt = clock.instant();
            if (e != null) {
                Throwable cause = UpstreamErrors.unwrap(e);
                job.error = cause.getMessage() == null ? cause.toString() : cause.getMessage();
                job.result.completeExceptionally(cause);
            } else {
                job.result.complete(digest);
            }
        });
        return job;
    }

    /** A job by id, or null. */
    public Job get(String id) {
        return jobs.get(id);
    }

    /** Jobs running or ended within the last hour, newest first. */
    public List<Job> all() {
        List<Job> out = new ArrayList<>(jobs.values());
        out.sort((a, b) -> b.startedAt.compareTo(a.startedAt));
        return out;
    }

    private CompletableFuture<Void> fetchBlobs(Repository repo, Job job, List<Descriptor> blobs) {
        Map<String, Descriptor> distinct = new LinkedHashMap<>();
        blobs.forEach(d -> distinct.putIfAbsent(d.digest(), d));
        job.blobsTotal.set(distinct.size());
        job.bytesTotal.set(distinct.values().stream().mapToLong(d -> Math.max(0, d.size())).sum());
        Iterator<Descriptor> next = List.copyOf(distinct.values()).iterator();
        List<CompletableFuture<Void>> workers = new ArrayList<>();
        for (int i = 0; i < PARALLEL; i++) {
            workers.add(worker(repo, job, next));
        }
        return CompletableFuture.allOf(workers.toArray(CompletableFuture[]::new));
    }

    /** Fetches blobs one after another until none is left; several run side by side. */
    private CompletableFuture<Void> worker(Repository repo, Job job, Iterator<Descriptor> next) {
        Descriptor d;
        synchronized (next) {
            if (!next.hasNext()) {
                return CompletableFuture.completedFuture(null);
            }
            d = next.next();
        }
        Digest digest = d.parsedDigest();
        return registry.blobFile(repo, digest).thenCompose(path -> {
            job.blobsDone.incrementAndGet();
            job.bytesDone.addAndGet(Math.max(0, d.size()));
            return worker(repo, job, next);
        });
    }

    private void prune() {
        Instant cutoff = clock.instant().minus(KEEP);
        jobs.values().removeIf(j -> j.finishedAt != null && j.finishedAt.isBefore(cutoff));
        if (jobs.size() >= MAX_JOBS) {
            all().stream().skip(MAX_JOBS / 2).filter(j -> j.finishedAt != null).forEach(j -> jobs.remove(j.id));
        }
    }
}
