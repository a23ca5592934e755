package dev.gantry.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.oci.Digest;
import dev.gantry.testing.Awaits;
import dev.gantry.testing.FaultyUpstream;
import dev.gantry.testing.GantryServer;
import dev.gantry.testing.MutableClock;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A randomized fault soak of the fill path: hundreds of client requests (the
 * long form, {@code bench/fill-soak.sh}, runs thousands) through Gantry to an
 * upstream that cuts, resets, lies about bytes and lengths, drips, stalls and
 * answers 429/5xx at random. Whatever it does: every client request ends
 * within its bound with a status line (an OCI error if its fill failed
 * before its first byte), no complete 200 ever carries a wrong byte, every fill
 * ends ({@code gantry_fills_in_flight} back to 0), file descriptors and
 * memory return to where they were, and once the upstream heals a retry of
 * any blob starts a new fill that succeeds.
 *
 * <p>Sized by system properties: {@code soak.requests} (default 600),
 * {@code soak.concurrency} (16), {@code soak.seed} (printed; a failure
 * reproduces with it, up to thread interleaving). Prints its figures on
 * lines starting {@code fill-soak:}.
 */
class FillSoakTest {

    private static final long SEED = Long.getLong("soak.seed", 20261206L);
    private static final int REQUESTS = Integer.getInteger("soak.requests", 600);
    private static final int CONCURRENCY = Integer.getInteger("soak.concurrency", 16);
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(1);
    /** Longest any client request may take: retried stalls (2 × read timeout) plus drips, with room for a loaded machine. */
    private static final Duration REQUEST_BOUND = Duration.ofSeconds(20);
    /** Open files may exceed the baseline by this much: JDK internals opened on first use (two, measured). */
    private static final int FD_TOLERANCE = 8;
    private static final long MEMORY_TOLERANCE = 64L << 20;

    @TempDir
    Path tmp;

    /** The soak's blobs, made from the seed and their index, so none has to be held. */
    private record Blobs(long seed, int count, Map<String, Integer> index, List<Digest> digests) {
        static Blobs make(long seed, int count) {
            Map<String, Integer> index = new HashMap<>();
            List<Digest> digests = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                Digest d = Digest.sha256(bytes(seed, i));
                index.put(d.toString(), i);
                digests.add(d);
            }
            return new Blobs(seed, count, index, digests);
        }

        /** Mostly small, some medium, a few large: the layer sizes registries see. */
        static byte[] bytes(long seed, int i) {
            Random r = new Random(seed * 31 + i);
            double p = r.nextDouble();
            int size = p < 0.70 ? 1 + r.nextInt(64 * 1024)
                    : p < 0.95 ? 64 * 1024 + r.nextInt(448 * 1024)
                    : (1 << 20) + r.nextInt(1 << 20);
            byte[] b = new byte[size];
            r.nextBytes(b);
            return b;
        }

        byte[] get(String digest) {
            Integer i = index.get(digest);
            return i == null ? null : bytes(seed, i);
        }
    }

    /** What clients saw. */
    private static final class Tally {
        final AtomicLong complete = new AtomicLong();
        final AtomicLong cutShort = new AtomicLong();
        final AtomicLong wrongComplete = new AtomicLong();
        final AtomicLong wrongBytesServed = new AtomicLong();
        final AtomicLong wrongInCutShort = new AtomicLong();
        final AtomicLong overBound = new AtomicLong();
        final AtomicLong closedWithoutResponse = new AtomicLong();
        final Map<Integer, AtomicLong> statuses = new ConcurrentHashMap<>();
        final AtomicLong slowestMillis = new AtomicLong();
    }

    @Test
    void everyFillEndsAndNoWrongByteIsServedWhateverTheUpstreamDoes() throws Exception {
        System.out.printf(Locale.ROOT, "fill-soak: seed=%d requests=%d concurrency=%d readTimeout=%dms%n",
                SEED, REQUESTS, CONCURRENCY, READ_TIMEOUT.toMillis());
        int warmupBlobs = 20;
        Blobs blobs = Blobs.make(SEED, Math.max(50, REQUESTS / 2) + warmupBlobs);
        try (FaultyUpstream upstream = new FaultyUpstream(SEED, 0.6, READ_TIMEOUT.multipliedBy(5).dividedBy(2),
                Duration.ofSeconds(1), blobs::get);
             GantryServer gantry = GantryServer.start("""
                     upstreams:
                       - name: docker.io
                         url: %s
                         default: true
                         connectTimeout: 2s
                         readTimeout: %dms
                         retries: 1
                     storage:
                       memory:
                         maxBytes: 0
                       disk:
                         path: %s
                     """.formatted(upstream.url(), READ_TIMEOUT.toMillis(), tmp.resolve("data")), tmp, MutableClock.startingNow())) {
            Registry registry = gantry.gantry().registry();

            // Warm up with a healthy upstream, then take the baselines once the idle upstream
            // connections were closed (the upstream closes them after 1 s).
            upstream.heal();
            for (int i = 0; i < warmupBlobs; i++) {
                Response r = get(gantry.hostPort(), blobs.digests().get(blobs.count() - 1 - i));
                assertThat(r.status).isEqualTo(200);
            }
            long fdBaseline = settle(FillSoakTest::openFds);
            long memoryBaseline = settle(FillSoakTest::usedMemory);
            long committedBefore = fills(gantry, "committed");
            long failedBefore = fills(gantry, "failed");
            Map<FaultyUpstream.Fault, Long> injectedBefore = upstream.injected();

            Tally tally = soak(gantry.hostPort(), blobs, blobs.count() - warmupBlobs, upstream);
            long start = System.nanoTime();
            assertThat(waitFor(() -> registry.fillsInFlight() == 0, Duration.ofSeconds(30)))
                    .as("fills still in flight 30 s after the last request").isTrue();
            long drainMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            long committed = fills(gantry, "committed") - committedBefore;
            long failed = fills(gantry, "failed") - failedBefore;
            boolean fdsBack = waitFor(() -> openFds() <= fdBaseline + FD_TOLERANCE, Duration.ofSeconds(20));
            long fdsAfter = settle(FillSoakTest::openFds);
            boolean memoryBack = waitFor(() -> usedMemory() <= memoryBaseline + MEMORY_TOLERANCE, Duration.ofSeconds(20));
            long memoryAfter = settle(FillSoakTest::usedMemory);

            Map<FaultyUpstream.Fault, Long> injected = new TreeMap<>();
            upstream.injected().forEach((k, v) -> injected.put(k, v - injectedBefore.getOrDefault(k, 0L)));
            long faults = injected.entrySet().stream().filter(e -> e.getKey() != FaultyUpstream.Fault.NONE)
                    .mapToLong(Map.Entry::getValue).sum();
            System.out.printf(Locale.ROOT, "fill-soak: fills run=%d (committed %d, failed %d); upstream answers=%d, faults injected=%d%n",
                    committed + failed, committed, failed, injected.values().stream().mapToLong(Long::longValue).sum(), faults);
            System.out.println("fill-soak: faults per kind " + injected);
            System.out.printf(Locale.ROOT, "fill-soak: client requests=%d: complete 200=%d, cut short=%d, error statuses=%s, closed before a status line=%d, over %ds bound=%d, slowest=%dms%n",
                    REQUESTS, tally.complete.get(), tally.cutShort.get(), new TreeMap<>(tally.statuses), tally.closedWithoutResponse.get(),
                    REQUEST_BOUND.toSeconds(), tally.overBound.get(), tally.slowestMillis.get());
            System.out.printf(Locale.ROOT, "fill-soak: wrong complete responses=%d, wrong bytes served=%d "
                            + "(cut-short responses with a wrong byte before the cut, which the client sees short: %d)%n",
                    tally.wrongComplete.get(), tally.wrongBytesServed.get(), tally.wrongInCutShort.get());
            System.out.printf(Locale.ROOT, "fill-soak: stuck fills=%d (in flight drained %dms after the last request); "
                            + "fds (less the open-blob cache) %d -> %d; memory %d MiB -> %d MiB%n",
                    registry.fillsInFlight(), drainMillis, fdBaseline, fdsAfter, memoryBaseline >> 20, memoryAfter >> 20);

            assertThat(tally.overBound.get()).as("requests that did not end within " + REQUEST_BOUND).isZero();
            assertThat(tally.wrongComplete.get()).as("complete 200 responses with a wrong byte").isZero();
            // A fill that fails before its first readable byte answers with its OCI error: the
            // response head waits for that byte, so no client sees a connection close without one.
            assertThat(tally.closedWithoutResponse.get()).as("responses closed before a status line").isZero();
            assertThat(tally.statuses).as("error statuses: OCI errors for the upstream's failures, never a 500")
                    .doesNotContainKey(500);
            assertThat(registry.fillsInFlight()).as("stuck fills").isZero();
            assertThat(faults).as("faults injected").isGreaterThan(REQUESTS / 4);
            assertThat(fdsBack).as("open files back within %d of %d (now %d)", FD_TOLERANCE, fdBaseline, fdsAfter).isTrue();
            assertThat(memoryBack).as("memory back within 64 MiB of %d MiB (now %d MiB)", memoryBaseline >> 20, memoryAfter >> 20).isTrue();
            assertThat(Files.list(tmp.resolve("data").resolve("spool")).count()).as("spool files left").isZero();

            // The upstream heals: a retry of any blob starts a new fill, which commits and serves it.
            upstream.heal();
            for (int i = 0; i < Math.min(20, blobs.count() - warmupBlobs); i++) {
                Digest d = blobs.digests().get(i);
                Response r = get(gantry.hostPort(), d);
                assertThat(r.status).as("blob %d after healing", i).isEqualTo(200);
                assertThat(r.complete && Digest.sha256(r.body).equals(d)).as("blob %d whole and right", i).isTrue();
            }
        }
    }

    private Tally soak(String hostPort, Blobs blobs, int soakBlobs, FaultyUpstream upstream) throws Exception {
        upstream.faulty();
        Tally tally = new Tally();
        Random pick = new Random(SEED);
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < REQUESTS; i++) {
            order.add(pick.nextInt(soakBlobs));
        }
        ExecutorService clients = Executors.newFixedThreadPool(CONCURRENCY);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int i : order) {
                Digest d = blobs.digests().get(i);
                done.add(clients.submit(() -> {
                    long t0 = System.nanoTime();
                    Response r = get(hostPort, d);
                    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                    tally.slowestMillis.accumulateAndGet(ms, Math::max);
                    if (r.overBound) {
                        tally.overBound.incrementAndGet();
                    } else if (r.status < 0) {
                        tally.closedWithoutResponse.incrementAndGet();
                    } else if (r.status != 200) {
                        tally.statuses.computeIfAbsent(r.status, s -> new AtomicLong()).incrementAndGet();
                    } else if (r.complete) {
                        tally.complete.incrementAndGet();
                        if (!Digest.sha256(r.body).equals(d)) {
                            tally.wrongComplete.incrementAndGet();
                            tally.wrongBytesServed.addAndGet(differing(r.body, blobs.get(d.toString())));
                        }
                    } else {
                        tally.cutShort.incrementAndGet();
                        if (differing(r.body, blobs.get(d.toString())) > 0) {
                            tally.wrongInCutShort.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            clients.shutdownNow();
        }
        return tally;
    }

    private static long differing(byte[] got, byte[] right) {
        long n = 0;
        for (int i = 0; i < got.length; i++) {
            if (i >= right.length || got[i] != right[i]) {
                n++;
            }
        }
        return n;
    }

    /** One GET on its own connection ({@code Connection: close}): what arrived, within the bound. */
    private record Response(int status, boolean complete, byte[] body, boolean overBound) {
    }

    private static Response get(String hostPort, Digest digest) {
        long deadline = System.nanoTime() + REQUEST_BOUND.toNanos();
        String[] hp = hostPort.split(":");
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(hp[0], Integer.parseInt(hp[1])), 5000);
            s.getOutputStream().write(("GET /v2/soak/blobs/" + digest + " HTTP/1.1\r\nHost: " + hostPort
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            InputStream in = new BufferedInputStream(s.getInputStream());
            s.setSoTimeout(remaining(deadline));
            String status = line(in);
            if (status == null) {
                return new Response(-1, false, new byte[0], false);
            }
            long length = -1;
            for (String h = line(in); h != null && !h.isEmpty(); h = line(in)) {
                if (h.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                    length = Long.parseLong(h.substring(15).trim());
                }
            }
            int code = Integer.parseInt(status.split(" ")[1]);
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            byte[] buf = new byte[64 * 1024];
            while (length < 0 || body.size() < length) {
                s.setSoTimeout(remaining(deadline));
                int n;
                try {
                    n = in.read(buf);
                } catch (SocketTimeoutException e) {
                    return new Response(code, false, body.toByteArray(), true);
                } catch (IOException e) {
                    break; // reset: the body is what came
                }
                if (n < 0) {
                    break;
                }
                body.write(buf, 0, n);
            }
            return new Response(code, body.size() == length, body.toByteArray(), false);
        } catch (SocketTimeoutException e) {
            return new Response(-1, false, new byte[0], true);
        } catch (IOException e) {
            return new Response(-1, false, new byte[0], System.nanoTime() > deadline);
        }
    }

    private static int remaining(long deadline) throws SocketTimeoutException {
        long ms = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (ms <= 0) {
            throw new SocketTimeoutException("over the bound");
        }
        return (int) ms;
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            b.write(c);
        }
        if (c < 0 && b.size() == 0) {
            return null;
        }
        String s = b.toString(StandardCharsets.ISO_8859_1);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }

    private static long fills(GantryServer gantry, String result) {
        double n = 0;
        for (String source : List.of("upstream", "unknown")) {
            n += gantry.gantry().metrics().value("gantry_fills_total", source, result);
        }
        return (long) n;
    }

    /**
     * Open file descriptors of this process, less the disk tier's cache of
     * open committed blobs (bounded by its size, and meant to stay open) and
     * the class path's jars (opened as classes first load).
     * A spool file left open after its fill failed still counts: it shows as
     * deleted, not under {@code blobs/}.
     */
    static long openFds() {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(fd -> {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    boolean cachedBlob = target.contains("/data/blobs/sha256/") && !target.endsWith("(deleted)");
                    boolean classpath = target.endsWith(".jar") || target.endsWith("/lib/modules"); // opened as classes load
                    return !cachedBlob && !classpath;
                } catch (IOException e) {
                    return false; // closed meanwhile
                }
            }).count();
        } catch (IOException e) {
            throw new IllegalStateException("cannot count open files", e);
        }
    }

    /** Heap in use after a collection, plus direct buffers. */
    static long usedMemory() {
        System.gc();
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        long direct = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(b -> b.getName().equals("direct")).mapToLong(BufferPoolMXBean::getMemoryUsed).sum();
        long netty = Math.max(0, io.netty.util.internal.PlatformDependent.usedDirectMemory());
        return heap + direct + netty;
    }

    /**
     * A figure once it stopped falling: the lowest of a few readings a moment
     * apart. The pauses space out samples of a measurement; nothing is
     * asserted absent after them.
     */
    private static long settle(java.util.function.LongSupplier reading) throws InterruptedException {
        long low = Long.MAX_VALUE;
        for (int i = 0; i < 8; i++) {
            low = Math.min(low, reading.getAsLong());
            Thread.sleep(300);
        }
        return low;
    }

    /** Whether {@code condition} came to hold within {@code bound}; the caller reports what did not. */
    private static boolean waitFor(BooleanSupplier condition, Duration bound) {
        try {
            Awaits.until(condition, bound, "condition");
            return true;
        } catch (AssertionError notWithin) {
            return false;
        }
    }
}
