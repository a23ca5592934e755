package dev.gantry.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * A blob upstream on raw sockets that misbehaves at random, the way real
 * upstreams and the networks in front of them do: it cuts bodies on
 * keep-alive connections, resets connections, sends wrong bytes, lies about
 * the length either way, drips, stalls before the head or in the body, and
 * answers 429 and 5xx. Which fault a request gets is drawn from a seed, the
 * blob and how many times that blob was asked for, so a failing run
 * reproduces with the same seed (up to the interleaving of concurrent
 * requests). Counts what it injected, per kind.
 *
 * <p>Connections are kept alive as a real server would; an idle one is
 * closed after {@code idleTimeout}.
 */
public final class FaultyUpstream implements AutoCloseable {

    /** What a request gets. */
    public enum Fault {
        /** The blob, whole and right. */
        NONE,
        /** The blob, right, in small pieces with pauses (all well under the read timeout). */
        DRIP,
        /** The head and part of the body; then the connection closes. */
        CUT,
        /** The head and part of the body; then the connection is reset (RST). */
        RESET,
        /** The right length, one byte wrong; the connection stays open. */
        WRONG_BYTES,
        /** Content-Length shorter than what follows: the rest trails on the kept-alive connection. */
        LENGTH_UNDER,
        /** Content-Length longer than what is sent; then the connection closes. */
        LENGTH_OVER,
        /** The head and part of the body; then nothing, for longer than the read timeout. */
        STALL_BODY,
        /** Nothing at all, for longer than the read timeout. */
        STALL_HEAD,
        /** 429 Too Many Requests. */
        TOO_MANY,
        /** 500, 502 or 503. */
        SERVER_ERROR
    }

    private final ServerSocket server;
    private final long seed;
    private final Function<String, byte[]> blobs;
    private final Duration stall;
    private final int idleTimeoutMillis;
    private final double faultRate;
    private final Map<String, AtomicInteger> asked = new ConcurrentHashMap<>();
    private final Map<Fault, AtomicLong> injected = new EnumMap<>(Fault.class);
    private volatile boolean healthy;

    /**
     * @param blobs the blob for a digest string ({@code sha256:...}), or null: 404
     * @param faultRate share of requests that get a fault (other than {@link Fault#NONE})
     * @param stall how long a stall lasts: longer than the client's read timeout
     */
    public FaultyUpstream(long seed, double faultRate, Duration stall, Duration idleTimeout,
                          Function<String, byte[]> blobs) throws IOException {
        this.seed = seed;
        this.faultRate = faultRate;
        this.blobs = blobs;
        this.stall = stall;
        this.idleTimeoutMillis = (int) idleTimeout.toMillis();
        for (Fault f : Fault.values()) {
            injected.put(f, new AtomicLong());
        }
        this.server = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::accept, "faulty-upstream");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public String url() {
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    /** From now on every request gets its blob, whole and right. */
    public void heal() {
        healthy = true;
    }

    /** From now on requests get faults at the configured rate (the state it starts in). */
    public void faulty() {
        healthy = false;
    }

    /** How many requests got each fault (NONE included). */
    public Map<Fault, Long> injected() {
        Map<Fault, Long> out = new EnumMap<>(Fault.class);
        injected.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                Thread t = new Thread(() -> serve(s), "faulty-connection");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            socket.setSoTimeout(idleTimeoutMillis);
            InputStream in = new BufferedInputStream(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            while (true) {
                String line = readLine(in);
                if (line == null || line.isEmpty()) {
                    return;
                }
                for (String h = readLine(in); h != null && !h.isEmpty(); h = readLine(in)) {
                    // Headers do not matter here.
                }
                String[] parts = line.split(" ");
                if (!answer(socket, out, parts[0], parts[1])) {
                    return;
                }
            }
        } catch (SocketTimeoutException e) {
            // Idle keep-alive connection: closed, as real servers do.
        } catch (IOException ignored) {
            // The client went away.
        }
    }

    /** Writes one answer; false when the connection is to be closed afterwards. */
    private boolean answer(Socket socket, OutputStream out, String method, String path) throws IOException {
        String digest = path.substring(path.lastIndexOf('/') + 1);
        byte[] blob = blobs.apply(digest);
        if (blob == null) {
            head(out, 404, "application/json", 2, true);
            out.write("{}".getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            return true;
        }
        int attempt = asked.computeIfAbsent(digest, d -> new AtomicInteger()).incrementAndGet();
        Random random = new Random(seed ^ (digest.hashCode() * 0x9E3779B97F4A7C15L) ^ attempt);
        Fault fault = healthy || random.nextDouble() >= faultRate
                ? Fault.NONE : Fault.values()[1 + random.nextInt(Fault.values().length - 1)];
        injected.get(fault).incrementAndGet();
        boolean headOnly = method.equals("HEAD");
        int n = blob.length;
        int part = n <= 1 ? 0 : random.nextInt(n - 1) + 1;
        switch (fault) {
            case NONE -> {
                head(out, 200, null, n, true);
                body(out, blob, 0, headOnly ? 0 : n);
            }
            case DRIP -> {
                head(out, 200, null, n, true);
                if (!headOnly) {
                    int pieces = 1 + random.nextInt(20);
                    int size = Math.max(1, n / pieces);
                    for (int off = 0; off < n; off += size) {
                        body(out, blob, off, Math.min(size, n - off));
                        pause(1 + random.nextInt(10));
                    }
                }
            }
            case CUT, RESET -> {
                head(out, 200, null, n, true);
                body(out, blob, 0, headOnly ? 0 : part);
                if (!headOnly) {
                    if (fault == Fault.RESET) {
                        socket.setSoLinger(true, 0);
                    }
                    return false;
                }
            }
            case WRONG_BYTES -> {
                byte[] wrong = blob.clone();
                wrong[random.nextInt(n)] ^= (byte) (1 + random.nextInt(255));
                head(out, 200, null, n, true);
                body(out, wrong, 0, headOnly ? 0 : n);
            }
            case LENGTH_UNDER -> {
                head(out, 200, null, part, true);
                body(out, blob, 0, headOnly ? 0 : n);
            }
            case LENGTH_OVER -> {
                head(out, 200, null, n + 1 + random.nextInt(1000), true);
                body(out, blob, 0, headOnly ? 0 : n);
                return headOnly;
            }
            case STALL_BODY -> {
                head(out, 200, null, n, true);
                body(out, blob, 0, headOnly ? 0 : part);
                if (!headOnly) {
                    pause(stall.toMillis());
                    return false;
                }
            }
            case STALL_HEAD -> {
                pause(stall.toMillis());
                return false;
            }
            case TOO_MANY -> error(out, 429, headOnly);
            case SERVER_ERROR -> error(out, new int[] {500, 502, 503}[random.nextInt(3)], headOnly);
            default -> throw new IllegalStateException(fault.toString());
        }
        return true;
    }

    private static void error(OutputStream out, int status, boolean headOnly) throws IOException {
        byte[] json = ("{\"errors\":[{\"code\":\"X\",\"message\":\"injected " + status + "\"}]}").getBytes(StandardCharsets.ISO_8859_1);
        // An injected 429 asks for no wait: Gantry honours Retry-After (60 s when absent) by sending
        // nothing at all, which would end the soak's stream of faults after the first one.
        head(out, status, status == 429 ? "application/json\r\nRetry-After: 0" : "application/json", json.length, true);
        body(out, json, 0, headOnly ? 0 : json.length);
    }

    private static void head(OutputStream out, int status, String type, long length, boolean keepAlive) throws IOException {
        StringBuilder h = new StringBuilder("HTTP/1.1 ").append(status).append(" X\r\n")
                .append("Content-Length: ").append(length).append("\r\n");
        if (type != null) {
            h.append("Content-Type: ").append(type).append("\r\n");
        }
        h.append("Connection: ").append(keepAlive ? "keep-alive" : "close").append("\r\n\r\n");
        out.write(h.toString().getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    private static void body(OutputStream out, byte[] bytes, int offset, int length) throws IOException {
        out.write(bytes, offset, length);
        out.flush();
    }

    /** A slow or stalling upstream: here the pause is the fault under test, not a wait. */
    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                String s = line.toString(StandardCharsets.ISO_8859_1);
                return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
            }
            line.write(c);
        }
        return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
