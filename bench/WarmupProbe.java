import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Measures how soon a freshly started Gantry serves a hot blob at steady
 * speed: polls {@code /readyz} every 5 ms, then from the moment it answers
 * 200 keeps {@code --threads} keep-alive connections GETting the blob for
 * {@code --seconds}, and counts bytes per 250 ms window. Prints one line per
 * window, then the steady state (median of the last 40 % of windows) and the
 * time from ready to the first window after which two windows in a row reach
 * 90 % of it.
 *
 * <p>The probe's own JVM is warmed first (6 s), so its JIT does not count as
 * the server's: with {@code --warm-port}, against a server already serving
 * the same path (a fleet's other replica: the probe's code is then compiled
 * for exactly what it measures), else against an in-process server serving
 * a blob of the same size.
 *
 * <pre>
 * java WarmupProbe.java --host 127.0.0.1 --port 5000 --path /v2/local/hot/blobs/sha256:... \
 *      [--auth "Basic ..."] [--threads 4] [--seconds 20] [--size BYTES] [--warm-port PORT]
 * </pre>
 */
public class WarmupProbe {

    static final long WINDOW_MS = 250;

    public static void main(String[] args) throws Exception {
        String host = arg(args, "--host", "127.0.0.1");
        int port = Integer.parseInt(arg(args, "--port", null));
        String path = arg(args, "--path", null);
        String auth = arg(args, "--auth", "");
        int threads = Integer.parseInt(arg(args, "--threads", "4"));
        int seconds = Integer.parseInt(arg(args, "--seconds", "20"));
        int size = Integer.parseInt(arg(args, "--size", "1048576"));

        String warmPort = arg(args, "--warm-port", "");
        if (warmPort.isEmpty()) {
            warmSelf(threads, size);
        } else {
            warmAgainst(host, Integer.parseInt(warmPort), path, auth, threads);
        }
        System.out.println("polling");
        System.out.flush();
        long readyAt = awaitReady(host, port);
        System.out.println("ready_epoch_ms " + System.currentTimeMillis());
        int windows = (int) (seconds * 1000 / WINDOW_MS);
        AtomicLongArray bytes = new AtomicLongArray(windows);
        loadOn(threads, host, port, path, auth, readyAt, readyAt + seconds * 1_000_000_000L, bytes);
        double[] mbps = new double[windows];
        for (int w = 0; w < windows; w++) {
            mbps[w] = bytes.get(w) / 1e6 / (WINDOW_MS / 1000.0);
            System.out.printf("window %5d ms  %8.1f MB/s%n", w * WINDOW_MS, mbps[w]);
        }
        double[] tail = Arrays.copyOfRange(mbps, (int) (windows * 0.6), windows);
        Arrays.sort(tail);
        double steady = tail[tail.length / 2];
        int first = -1;
        for (int w = 0; w + 1 < windows; w++) {
            if (mbps[w] >= 0.9 * steady && mbps[w + 1] >= 0.9 * steady) {
                first = w;
                break;
            }
        }
        double firstSecond = (mbps[0] + mbps[1] + mbps[2] + mbps[3]) / 4 / steady;
        System.out.printf("steady_mbps %.1f%n", steady);
        System.out.printf("first_second_fraction %.2f%n", firstSecond);
        System.out.printf("t90_ms %d%n", first < 0 ? -1 : (first + 1) * WINDOW_MS);
    }

    static void load(String host, int port, String path, String auth, long start, long end, AtomicLongArray bytes) {
        String request = "GET " + path + " HTTP/1.1\r\nHost: " + host + ":" + port + "\r\n"
                + (auth.isEmpty() ? "" : "Authorization: " + auth + "\r\n") + "\r\n";
        byte[] req = request.getBytes(StandardCharsets.ISO_8859_1);
        byte[] buf = new byte[1 << 16];
        while (System.nanoTime() < end) {
            try (Socket s = new Socket(host, port)) {
                s.setTcpNoDelay(true);
                OutputStream out = s.getOutputStream();
                InputStream in = new BufferedInputStream(s.getInputStream(), 1 << 16);
                while (System.nanoTime() < end) {
                    out.write(req);
                    out.flush();
                    long remaining = contentLength(in);
                    while (remaining > 0) {
                        int n = in.read(buf, 0, (int) Math.min(buf.length, remaining));
                        if (n < 0) {
                            throw new IOException("closed mid-body");
                        }
                        remaining -= n;
                        int w = (int) ((System.nanoTime() - start) / 1_000_000 / WINDOW_MS);
                        if (w >= 0 && w < bytes.length()) {
                            bytes.addAndGet(w, n);
                        }
                    }
                }
            } catch (IOException e) {
                // reconnect
            }
        }
    }

    /** Reads a response head; the body's length (fails on anything but 200). */
    static long contentLength(InputStream in) throws IOException {
        String status = line(in);
        if (!status.startsWith("HTTP/1.1 200")) {
            throw new IOException("unexpected " + status);
        }
        long length = -1;
        for (String h = line(in); !h.isEmpty(); h = line(in)) {
            if (h.regionMatches(true, 0, "content-length:", 0, 15)) {
                length = Long.parseLong(h.substring(15).trim());
            }
        }
        return length;
    }

    static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            if (c != '\r') {
                b.write(c);
            }
        }
        if (c < 0 && b.size() == 0) {
            throw new IOException("closed");
        }
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    static long awaitReady(String host, int port) throws InterruptedException {
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket(host, port)) {
                s.getOutputStream().write(("GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                if (line(s.getInputStream()).startsWith("HTTP/1.1 200")) {
                    return System.nanoTime();
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(5);
        }
        throw new IllegalStateException("not ready within 120 s");
    }

    /** Runs {@link #load} on {@code threads} threads until {@code end}; returns when all have stopped. */
    static void loadOn(int threads, String host, int port, String path, String auth, long start, long end,
            AtomicLongArray bytes) throws InterruptedException {
        List<Thread> all = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            Thread t = new Thread(() -> load(host, port, path, auth, start, end, bytes));
            t.start();
            all.add(t);
        }
        for (Thread t : all) {
            t.join();
        }
    }

    /** Runs the load loop for 6 s against a server already serving {@code path} (not the one measured). */
    static void warmAgainst(String host, int port, String path, String auth, int threads) throws InterruptedException {
        long start = System.nanoTime();
        long end = start + 6_000_000_000L;
        AtomicLongArray sink = new AtomicLongArray((int) (7_000 / WINDOW_MS));
        loadOn(threads, host, port, path, auth, start, end, sink);
        long served = 0;
        for (int w = 0; w < sink.length(); w++) {
            served += sink.get(w);
        }
        if (served == 0) {
            throw new IllegalStateException("the warm-up server on port " + port + " served nothing");
        }
    }

    /**
     * Runs the load loop against an in-process server for 6 s, so the probe's own code is compiled
     * before it measures anything. The server is a plain blocking socket loop writing one prepared
     * answer (com.sun.net.httpserver answered a fifth as often, which left the probe's loop half
     * compiled: against a Gantry already serving at steady speed the probe then still climbed for
     * 2.5 s).
     */
    static void warmSelf(int threads, int size) throws Exception {
        byte[] head = ("HTTP/1.1 200 OK\r\nContent-Length: " + size + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
        byte[] answer = Arrays.copyOf(head, head.length + size);
        java.net.ServerSocket server = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(() -> {
            while (!server.isClosed()) {
                try {
                    Socket c = server.accept();
                    Thread t = new Thread(() -> serve(c, answer));
                    t.setDaemon(true);
                    t.start();
                } catch (IOException e) {
                    return;
                }
            }
        });
        acceptor.setDaemon(true);
        acceptor.start();
        long start = System.nanoTime();
        long end = start + 6_000_000_000L;
        // Windows as real as the measured ones: a loop compiled while its counting branch was never
        // taken would be deoptimized at the first counted byte, in the middle of the measurement.
        AtomicLongArray sink = new AtomicLongArray((int) (7_000 / WINDOW_MS));
        loadOn(threads, "127.0.0.1", server.getLocalPort(), "/warm", "", start, end, sink);
        server.close();
    }

    /** Answers every request on the connection (a line, headers, an empty line) with {@code answer}. */
    static void serve(Socket c, byte[] answer) {
        try (c) {
            InputStream in = new BufferedInputStream(c.getInputStream());
            OutputStream out = c.getOutputStream();
            while (true) {
                line(in);
                while (!line(in).isEmpty()) {
                    // headers: nothing to read in them
                }
                out.write(answer);
                out.flush();
            }
        } catch (IOException e) {
            // the probe hung up
        }
    }

    static String arg(String[] args, String name, String dflt) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals(name)) {
                return args[i + 1];
            }
        }
        if (dflt == null) {
            throw new IllegalArgumentException("missing " + name);
        }
        return dflt;
    }
}
