package dev.gantry.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * An HTTP/1.1 server on raw sockets whose answers are written byte by byte
 * by the test, for faults no real server produces on purpose: a body cut off
 * before its Content-Length, a connection dropped mid-stream. Everything else
 * uses the real upstream or WireMock.
 */
public final class ScriptedUpstream implements AutoCloseable {

    /** A request as received. */
    public record Request(String method, String path, Map<String, String> headers) {
    }

    /**
     * What to do with a request: write {@code bytes}, then close the
     * connection if {@code close}, once {@code closeAfter} completed (null:
     * at once).
     */
    public record Answer(byte[] bytes, boolean close, CompletableFuture<?> closeAfter) {
        public Answer(byte[] bytes, boolean close) {
            this(bytes, close, null);
        }

        /** The same answer, but the connection stays open until {@code gate} completes. */
        public Answer closingAfter(CompletableFuture<?> gate) {
            return new Answer(bytes, close, gate);
        }

        public static Answer of(int status, Map<String, String> headers, byte[] body, boolean close) {
            StringBuilder head = new StringBuilder("HTTP/1.1 ").append(status).append(" X\r\n");
            headers.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
            head.append("\r\n");
            byte[] h = head.toString().getBytes(StandardCharsets.ISO_8859_1);
            byte[] all = new byte[h.length + body.length];
            System.arraycopy(h, 0, all, 0, h.length);
            System.arraycopy(body, 0, all, h.length, body.length);
            return new Answer(all, close);
        }
    }

    private final ServerSocket server;
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger closed = new AtomicInteger();
    private volatile Function<Request, Answer> script;

    public ScriptedUpstream(Function<Request, Answer> script) throws IOException {
        this.script = script;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::accept, "scripted-upstream");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public void script(Function<Request, Answer> newScript) {
        this.script = newScript;
    }

    public String url() {
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    public List<Request> requests() {
        return List.copyOf(requests);
    }

    /** Connections accepted so far (a client that reuses connections opens fewer than it sends requests). */
    public int connections() {
        return connections.get();
    }

    /** Connections this server has closed (after an answer that closes, or when the client went away). */
    public int closedConnections() {
        return closed.get();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                connections.incrementAndGet();
                Thread t = new Thread(() -> serve(s), "scripted-connection");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            InputStream in = new BufferedInputStream(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            while (true) {
                String line = readLine(in);
                if (line == null || line.isEmpty()) {
                    return;
                }
                String[] parts = line.split(" ");
                Map<String, String> headers = new LinkedHashMap<>();
                for (String h = readLine(in); h != null && !h.isEmpty(); h = readLine(in)) {
                    int colon = h.indexOf(':');
                    headers.put(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
                }
                Request request = new Request(parts[0], parts[1], headers);
                requests.add(request);
                Answer answer = script.apply(request);
                out.write(answer.bytes());
                out.flush();
                if (answer.close()) {
                    if (answer.closeAfter() != null) {
                        try {
                            answer.closeAfter().get(30, TimeUnit.SECONDS);
                        } catch (InterruptedException | ExecutionException | TimeoutException e) {
                            // Close anyway.
                        }
                    }
                    return;
                }
            }
        } catch (IOException ignored) {
            // The client went away.
        } finally {
            closed.incrementAndGet();
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
