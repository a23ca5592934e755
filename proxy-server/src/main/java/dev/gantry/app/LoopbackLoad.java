package dev.gantry.app;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;

/**
 * Requests to this process over loopback, as fast as it answers them:
 * keep-alive HTTP/1.1 on plain sockets, each answer read and thrown away,
 * the answers counted. Written by hand rather than with the JDK's
 * {@code HttpClient}: the load shares the cores of the server it warms, so
 * its own per-request work and its own compilation must stay small next to
 * the server's, and it only ever sends requests it built itself to this
 * process (no TLS, no redirects, no cookies to handle). An answer it cannot
 * read (no length, a closed connection) makes it reconnect.
 */
final class LoopbackLoad {

    /** One request: method, path with query, an {@code Accept} header or null, and its body's size if known (else -1). */
    record Ask(String method, String path, String accept, long size) {
        Ask(String method, String path, String accept) {
            this(method, path, accept, -1);
        }
    }

    /**
     * A connection is closed after this many requests and another opened, as clients come and go:
     * without it the server's compiled code has never seen a connection open or close (the
     * accept, the end of input, the channel's deregistration, its timers cancelled) until the
     * warm-up's own connections close at ready, and the traps that first close sets off send the
     * event loop's code back to the interpreter just as the first clients arrive.
     */
    static final int REQUESTS_PER_CONNECTION = 200;

    private final String host;
    private final int port;
    private final List<byte[]> requests = new ArrayList<>();
    private final List<Boolean> heads = new ArrayList<>();
    private final AtomicLong answers = new AtomicLong();

    LoopbackLoad(String host, int port, List<Ask> asks) {
        this.host = host;
        this.port = port;
        for (Ask a : asks) {
            String head = a.method() + " " + a.path() + " HTTP/1.1\r\nHost: " + host + ":" + port + "\r\n"
                    + (a.accept() == null ? "" : "Accept: " + a.accept() + "\r\n") + "User-Agent: gantry-warm-up\r\n\r\n";
            requests.add(head.getBytes(StandardCharsets.ISO_8859_1));
            heads.add(a.method().equals("HEAD"));
        }
    }

    /** Answers read so far. */
    long answers() {
        return answers.get();
    }

    /**
     * Sends every request once, in order, over one connection at a time (a new one every
     * {@link #REQUESTS_PER_CONNECTION}); stops early when {@code keepGoing} says so. Blocks.
     */
    void once(BooleanSupplier keepGoing) {
        int[] next = {0};
        drive(() -> next[0] < requests.size() && keepGoing.getAsBoolean() ? next[0]++ : -1);
    }

    /**
     * Starts {@code connections} daemon threads, each going round the
     * requests from its own starting point while {@code keepGoing} says so.
     */
    List<Thread> start(int connections, BooleanSupplier keepGoing) {
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < connections; i++) {
            int[] next = {i * Math.max(1, requests.size() / connections)};
            Thread t = new Thread(() -> drive(() -> keepGoing.getAsBoolean() ? Math.floorMod(next[0]++, requests.size()) : -1),
                    "gantry-warm-up-" + i);
            t.setDaemon(true);
            t.start();
            threads.add(t);
        }
        return threads;
    }

    /**
     * Sends the requests {@code next} names (an index; -1 to stop) over a
     * keep-alive connection, opening a new one when the server closed it, an
     * answer could not be read (that request is not sent again), or the
     * connection carried {@link #REQUESTS_PER_CONNECTION} requests.
     */
    private void drive(IntSupplier next) {
        byte[] sink = new byte[1 << 16];
        int k = next.getAsInt();
        while (k >= 0) {
            try (Socket s = open()) {
                OutputStream out = s.getOutputStream();
                InputStream in = new BufferedInputStream(s.getInputStream(), 1 << 16);
                boolean open = true;
                for (int sent = 0; k >= 0 && open; k = next.getAsInt()) {
                    out.write(requests.get(k));
                    out.flush();
                    open = readAnswer(in, heads.get(k), sink) && ++sent < REQUESTS_PER_CONNECTION;
                    answers.incrementAndGet();
                }
            } catch (IOException e) {
                k = next.getAsInt();
            }
        }
    }

    private Socket open() throws IOException {
        Socket s = new Socket(host, port);
        s.setTcpNoDelay(true);
        s.setSoTimeout(2_000);
        return s;
    }

    /** Reads one answer; whether the connection may carry the next request. */
    private boolean readAnswer(InputStream in, boolean head, byte[] sink) throws IOException {
        String status = line(in);
        if (!status.startsWith("HTTP/1.1 ")) {
            throw new IOException("not an HTTP/1.1 answer: " + status);
        }
        long length = -1;
        boolean close = false;
        for (String h = line(in); !h.isEmpty(); h = line(in)) {
            String lower = h.toLowerCase(Locale.ROOT);
            if (lower.startsWith("content-length:")) {
                try {
                    length = Long.parseLong(lower.substring(15).trim());
                } catch (NumberFormatException e) {
                    throw new IOException("a malformed Content-Length: " + h, e);
                }
            } else if (lower.startsWith("connection:") && lower.contains("close")) {
                close = true;
            }
        }
        if (head) {
            return !close;
        }
        if (length < 0) {
            throw new IOException("an answer without a length"); // chunked: not what the warm-up asks for
        }
        while (length > 0) {
            int n = in.read(sink, 0, (int) Math.min(sink.length, length));
            if (n < 0) {
                throw new IOException("closed mid-body");
            }
            length -= n;
        }
        return !close;
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream(64);
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            if (c != '\r') {
                b.write(c);
            }
            if (b.size() > 16_384) {
                throw new IOException("header line too long");
            }
        }
        if (c < 0) {
            throw new IOException("closed");
        }
        return b.toString(StandardCharsets.ISO_8859_1);
    }
}
