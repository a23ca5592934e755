import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP forwarder that makes a local registry look like a remote hub: every
 * byte is delayed by half the round-trip time in each direction, a new
 * connection costs one extra round trip, and the bytes coming back from the
 * upstream share one link of capped bandwidth — or, with {@code --per-connection},
 * each connection has the cap to itself (a CDN or a long fat pipe, where one
 * TCP flow, not the link, is the limit). It also records the request
 * line of every HTTP request it carries, so a benchmark can count exactly
 * what a cache asked the upstream for.
 *
 * <pre>
 * java Forwarder.java --listen 127.0.0.1:17301 --target 127.0.0.1:17300 \
 *      --control 127.0.0.1:17302 --rtt-ms 50 --mbit 100 [--per-connection] [--bearer]
 * </pre>
 *
 * With {@code --bearer} it also guards the registry as Docker Hub does: a
 * request without a valid token is not forwarded but answered {@code 401}
 * with {@code WWW-Authenticate: Bearer realm="http://LISTEN/token",service="bench-hub",scope="repository:NAME:pull"}
 * (keep-alive, after the emulated delay, like any response), logged as
 * {@code <millis> <connection> 401 <path>}; {@code GET /token?service=..&scope=..}
 * on the listen address is answered by the forwarder itself with an anonymous
 * token for those scopes ({@code {"token":..,"access_token":..,"expires_in":300}}),
 * logged like any request; a request carrying {@code Authorization: Bearer TOKEN}
 * whose token covers the repository (or any token, for {@code /v2/}) is
 * forwarded as it is. {@code /fail429} never hits a token request.
 *
 * Control (plain HTTP on --control):
 * <ul>
 * <li>{@code GET /log} — one line per request since the last reset:
 *     {@code <millis> <connection> <METHOD> <path>}</li>
 * <li>{@code GET /reset} — forget the log and the byte counters</li>
 * <li>{@code GET /stats} — connections, requests, bytes each way</li>
 * <li>{@code GET /set?rtt-ms=N&mbit=M&per-connection=true|false} — change the emulation (mbit=0: no cap)</li>
 * <li>{@code GET /fail429?count=N&retry-after=S} — the next N requests (on any connection) are not
 *     forwarded: each is answered {@code 429 Too Many Requests} with {@code Retry-After: S} by the
 *     forwarder itself, logged as {@code <millis> <connection> 429 <path>}, and its connection closed
 *     (a hub's rate limit, for counting what a cache asks during {@code Retry-After})</li>
 * </ul>
 *
 * Only the Java 17 standard library: runs with {@code java Forwarder.java}.
 * Blocking sockets, four threads per connection: the connections a cache
 * opens to its upstream are few.
 */
public final class Forwarder {

    private static final int CHUNK = 64 * 1024;
    /** Chunks in flight per direction (up to 16 MiB): an autotuned TCP window, never the bottleneck. */
    private static final int QUEUE_CHUNKS = 256;

    private volatile long oneWayNanos;
    private volatile long bytesPerSecond; // 0: unlimited
    private volatile boolean perConnection; // the cap applies to each connection, not to all of them together
    private final Object link = new Object();
    private long linkFreeAt; // nanoTime when the capped link is next idle

    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicLong down = new AtomicLong();
    private final AtomicLong up = new AtomicLong();
    private final List<String> log = new ArrayList<>();
    /** Requests still to be answered 429 by the forwarder itself (/fail429). */
    private final AtomicInteger fail429 = new AtomicInteger();
    private volatile long retryAfterSeconds = 5;
    /** --bearer: the token service and the check, or null (no auth, everything forwarded). */
    private BearerGuard bearer;

    Forwarder(long rttMs, long mbit) {
        set(rttMs, mbit);
    }

    void set(long rttMs, long mbit) {
        this.oneWayNanos = rttMs * 1_000_000L / 2;
        this.bytesPerSecond = mbit * 1_000_000L / 8;
    }

    public static void main(String[] args) throws Exception {
        String listen = "127.0.0.1:17301";
        String target = null;
        String control = null;
        long rtt = 50;
        long mbit = 100;
        boolean perConnection = false;
        boolean bearer = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--listen" -> listen = args[++i];
                case "--target" -> target = args[++i];
                case "--control" -> control = args[++i];
                case "--rtt-ms" -> rtt = Long.parseLong(args[++i]);
                case "--mbit" -> mbit = Long.parseLong(args[++i]);
                case "--per-connection" -> perConnection = true;
                case "--bearer" -> bearer = true;
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (target == null) {
            throw new IllegalArgumentException("--target host:port is required");
        }
        Forwarder f = new Forwarder(rtt, mbit);
        f.perConnection = perConnection;
        if (bearer) {
            f.bearer = new BearerGuard("http://" + listen + "/token", "bench-hub");
        }
        if (control != null) {
            f.control(address(control));
        }
        f.serve(address(listen), address(target));
    }

    private static InetSocketAddress address(String hostPort) throws IOException {
        int colon = hostPort.lastIndexOf(':');
        return new InetSocketAddress(InetAddress.getByName(hostPort.substring(0, colon)),
                Integer.parseInt(hostPort.substring(colon + 1)));
    }

    private void serve(InetSocketAddress listen, InetSocketAddress target) throws IOException {
        try (ServerSocket server = new ServerSocket()) {
            server.setReuseAddress(true);
            server.bind(listen, 512);
            System.out.printf("forwarding %s -> %s, rtt %d ms, %s%n", listen, target, oneWayNanos * 2 / 1_000_000,
                    (bytesPerSecond == 0 ? "no bandwidth cap" : (bytesPerSecond * 8 / 1_000_000) + " Mbit/s"
                            + (perConnection ? " per connection" : " shared")) + (bearer != null ? ", bearer tokens required" : ""));
            while (true) {
                Socket client = server.accept();
                int id = connections.incrementAndGet();
                start("accept-" + id, () -> connect(id, client, target));
            }
        }
    }

    private void connect(int id, Socket client, InetSocketAddress target) {
        open.incrementAndGet();
        try {
            // The TCP handshake with a remote hub costs a round trip before the first request can go.
            sleepNanos(2 * oneWayNanos);
            Socket server = new Socket();
            server.connect(target, 10_000);
            for (Socket s : new Socket[] {client, server}) {
                s.setTcpNoDelay(true);
            }
            Pipe toServer = new Pipe(id, client, server, false);
            Pipe toClient = new Pipe(id, server, client, true);
            toServer.answers = toClient;
            toServer.start();
            toClient.start();
        } catch (IOException | InterruptedException e) {
            close(client);
            open.decrementAndGet();
        }
    }

    /** One direction of a connection: a reader stamps chunks, a writer sends each after the delay and the link allow. */
    private final class Pipe {
        private final int id;
        private final Socket from;
        private final Socket to;
        private final boolean download;
        private final BlockingQueue<Chunk> queue = new ArrayBlockingQueue<>(QUEUE_CHUNKS);
        private final RequestLines requests;
        /** When this connection's own capped link is next idle (--per-connection). */
        private long freeAt;
        /** The download pipe of the same connection: where answers the forwarder gives itself go, in order. */
        private Pipe answers;

        Pipe(int id, Socket from, Socket to, boolean download) {
            this.id = id;
            this.from = from;
            this.to = to;
            this.download = download;
            this.requests = download ? null : new RequestLines();
        }

        void start() {
            Forwarder.start("read-" + id + (download ? "-down" : "-up"), this::read);
            Forwarder.start("write-" + id + (download ? "-down" : "-up"), this::write);
        }

        private void read() {
            try (InputStream in = from.getInputStream()) {
                byte[] buf = new byte[CHUNK];
                int n;
                while ((n = in.read(buf)) > 0) {
                    byte[] data = java.util.Arrays.copyOf(buf, n);
                    List<String> heads = requests == null ? List.of() : requests.feed(data);
                    // Caches do not pipeline: a request the forwarder answers itself is alone in its chunk.
                    String head = heads.isEmpty() ? null : heads.get(0);
                    String path = head == null ? null : RequestLines.path(head);
                    boolean tokenRequest = bearer != null && path != null && path.startsWith("/token");
                    if (head != null && !tokenRequest && fail429.getAndUpdate(v -> Math.max(0, v - 1)) > 0) {
                        refuse(RequestLines.line(head));
                        return;
                    }
                    if (tokenRequest) {
                        record(id, RequestLines.line(head));
                        answers.answer(bearer.token(path));
                        continue;
                    }
                    if (head != null && bearer != null && !bearer.allows(head, path)) {
                        record(id, "401 " + path);
                        answers.answer(bearer.challenge(path, RequestLines.line(head).startsWith("HEAD ")));
                        continue;
                    }
                    heads.forEach(h -> record(id, RequestLines.line(h)));
                    queue.put(new Chunk(data, System.nanoTime()));
                }
            } catch (IOException | InterruptedException e) {
                // Either side went away: the writer closes both.
            }
            try {
                queue.put(Chunk.END);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        }

        /** Queues a response the forwarder gives itself: it leaves after the delay, behind what the server sent before. */
        void answer(byte[] response) throws InterruptedException {
            queue.put(new Chunk(response, System.nanoTime() + oneWayNanos));
        }

        /** Answers the request 429 in the hub's place (the cache does not pipeline) and closes both sides. */
        private void refuse(String requestLine) {
            record(id, "429 " + requestLine.substring(requestLine.indexOf(' ') + 1));
            String head = "HTTP/1.1 429 Too Many Requests\r\nRetry-After: " + retryAfterSeconds
                    + "\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}";
            try {
                sleepNanos(2 * oneWayNanos);
                from.getOutputStream().write(head.getBytes(StandardCharsets.ISO_8859_1));
                from.getOutputStream().flush();
            } catch (IOException | InterruptedException ignored) {
                // the cache went away: nothing to answer
            }
            close(from);
            close(to);
        }

        private void write() {
            try (OutputStream out = to.getOutputStream()) {
                while (true) {
                    Chunk c = queue.take();
                    if (c == Chunk.END) {
                        break;
                    }
                    sleepNanos(c.stamp + oneWayNanos - System.nanoTime());
                    if (download) {
                        throttle(this, c.data.length);
                    }
                    out.write(c.data);
                    (download ? down : up).addAndGet(c.data.length);
                }
                to.shutdownOutput();
            } catch (IOException | InterruptedException e) {
                close(from);
                close(to);
            }
            if (download) {
                // The download side ends last in the usual case (server closes after the client).
                close(from);
                close(to);
                open.decrementAndGet();
            }
        }
    }

    /** Waits until the capped link (shared, or the pipe's own) has carried {@code n} more bytes. */
    private void throttle(Pipe pipe, int n) throws InterruptedException {
        long rate = bytesPerSecond;
        if (rate <= 0) {
            return;
        }
        long done;
        if (perConnection) {
            long start = Math.max(System.nanoTime(), pipe.freeAt);
            done = start + n * 1_000_000_000L / rate;
            pipe.freeAt = done;
            sleepNanos(done - System.nanoTime());
            return;
        }
        synchronized (link) {
            long now = System.nanoTime();
            long start = Math.max(now, linkFreeAt);
            done = start + n * 1_000_000_000L / rate;
            linkFreeAt = done;
        }
        sleepNanos(done - System.nanoTime());
    }

    private record Chunk(byte[] data, long stamp) {
        static final Chunk END = new Chunk(new byte[0], 0);
    }

    /**
     * Finds request heads in a client's byte stream. Caches ask their upstream
     * for manifests and blobs only, so a request is a head without a body
     * (a Content-Length, if any, is skipped).
     */
    static final class RequestLines {
        private final StringBuilder head = new StringBuilder();
        private long bodyLeft;

        /** Feeds a chunk; returns the request heads completed in it (request line and headers), in order. */
        List<String> feed(byte[] data) {
            List<String> out = new ArrayList<>(1);
            for (byte b : data) {
                if (bodyLeft > 0) {
                    bodyLeft--;
                    continue;
                }
                head.append((char) (b & 0xff));
                int len = head.length();
                if (len >= 4 && head.charAt(len - 1) == '\n' && head.charAt(len - 2) == '\r'
                        && head.charAt(len - 3) == '\n' && head.charAt(len - 4) == '\r') {
                    String text = head.toString();
                    head.setLength(0);
                    out.add(text);
                    String length = header(text, "content-length");
                    if (length != null) {
                        bodyLeft = Long.parseLong(length);
                    }
                } else if (len > 64 * 1024) {
                    head.setLength(0); // not HTTP; stop growing
                }
            }
            return out;
        }

        /** "METHOD path" of a head. */
        static String line(String head) {
            String first = head.substring(0, head.indexOf("\r\n"));
            String[] parts = first.split(" ");
            return parts.length >= 2 ? parts[0] + " " + parts[1] : first;
        }

        static String path(String head) {
            String[] parts = line(head).split(" ");
            return parts.length >= 2 ? parts[1] : "";
        }

        /** A header's value (the first), or null. */
        static String header(String head, String name) {
            for (String line : head.split("\r\n")) {
                if (line.length() > name.length() && line.charAt(name.length()) == ':'
                        && line.regionMatches(true, 0, name, 0, name.length())) {
                    return line.substring(name.length() + 1).trim();
                }
            }
            return null;
        }
    }

    /**
     * Docker Hub's bearer flow in miniature: anonymous pull tokens per
     * repository scope from {@code /token}, and the check of a request's
     * {@code Authorization: Bearer}. Tokens live for the process.
     */
    static final class BearerGuard {
        private static final java.util.regex.Pattern REPOSITORY =
                java.util.regex.Pattern.compile("^/v2/(.+)/(manifests|blobs|tags)/[^/]*$");
        private final String realm;
        private final String service;
        private final java.util.Map<String, java.util.Set<String>> tokens = new java.util.concurrent.ConcurrentHashMap<>();
        private final java.security.SecureRandom random = new java.security.SecureRandom();

        BearerGuard(String realm, String service) {
            this.realm = realm;
            this.service = service;
        }

        /** The repository a registry path names, or null ({@code /v2/}). */
        static String repository(String path) {
            // Greedy: a repository may itself contain "blobs" (bench/blobs); a tag or digest holds no '/'.
            int q = path.indexOf('?');
            java.util.regex.Matcher m = REPOSITORY.matcher(q < 0 ? path : path.substring(0, q));
            return m.find() ? m.group(1) : null;
        }

        boolean allows(String head, String path) {
            String auth = RequestLines.header(head, "authorization");
            if (auth == null || !auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
                return false;
            }
            java.util.Set<String> scopes = tokens.get(auth.substring(7).trim());
            if (scopes == null) {
                return false;
            }
            String repo = repository(path);
            return repo == null || scopes.contains("repository:" + repo + ":pull");
        }

        /** The 401; a HEAD's answer has the body's length but not the body (else it pollutes the connection). */
        byte[] challenge(String path, boolean head) {
            String repo = repository(path);
            String body = "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\"}]}";
            return ("HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm=\"" + realm + "\",service=\"" + service + "\""
                    + (repo == null ? "" : ",scope=\"repository:" + repo + ":pull\"")
                    + "\r\nContent-Type: application/json\r\nDocker-Distribution-Api-Version: registry/2.0\r\nContent-Length: "
                    + body.length() + "\r\n\r\n" + (head ? "" : body)).getBytes(StandardCharsets.ISO_8859_1);
        }

        /** The answer to {@code GET /token?service=..&scope=..[&scope=..]}: a token for those scopes (pull only). */
        byte[] token(String path) {
            java.util.Set<String> scopes = new java.util.HashSet<>();
            int q = path.indexOf('?');
            for (String kv : q < 0 ? new String[0] : path.substring(q + 1).split("&")) {
                String[] p = kv.split("=", 2);
                if (p.length == 2 && p[0].equals("scope")) {
                    for (String scope : java.net.URLDecoder.decode(p[1], StandardCharsets.UTF_8).split(" ")) {
                        // Anonymous: pull only, whatever was asked.
                        int colon = scope.lastIndexOf(':');
                        if (colon > 0) {
                            scopes.add(scope.substring(0, colon) + ":pull");
                        }
                    }
                }
            }
            byte[] raw = new byte[18];
            random.nextBytes(raw);
            String token = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
            tokens.put(token, java.util.Set.copyOf(scopes));
            String body = "{\"token\":\"" + token + "\",\"access_token\":\"" + token + "\",\"expires_in\":300,\"issued_at\":\""
                    + java.time.Instant.now() + "\"}";
            return ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
                    .getBytes(StandardCharsets.ISO_8859_1);
        }
    }

    private void record(int id, String requestLine) {
        synchronized (log) {
            log.add(System.currentTimeMillis() + " " + id + " " + requestLine);
        }
    }

    private void control(InetSocketAddress address) throws IOException {
        HttpServer http = HttpServer.create(address, 16);
        http.createContext("/", exchange -> {
            URI uri = exchange.getRequestURI();
            String body;
            switch (uri.getPath()) {
                case "/log" -> {
                    synchronized (log) {
                        body = log.isEmpty() ? "" : String.join("\n", log) + "\n";
                    }
                }
                case "/reset" -> {
                    synchronized (log) {
                        log.clear();
                    }
                    up.set(0);
                    down.set(0);
                    body = "ok\n";
                }
                case "/stats" -> {
                    int requests;
                    synchronized (log) {
                        requests = log.size();
                    }
                    body = "connections " + connections.get() + "\nopen " + open.get() + "\nrequests " + requests
                            + "\nbytes_up " + up.get() + "\nbytes_down " + down.get() + "\n";
                }
                case "/fail429" -> {
                    String q = uri.getQuery() == null ? "" : uri.getQuery();
                    int count = 1;
                    for (String kv : q.split("&")) {
                        String[] p = kv.split("=", 2);
                        if (p.length == 2 && p[0].equals("count")) {
                            count = Integer.parseInt(p[1]);
                        } else if (p.length == 2 && p[0].equals("retry-after")) {
                            retryAfterSeconds = Long.parseLong(p[1]);
                        }
                    }
                    fail429.set(count);
                    body = "fail429 " + count + "\nretry-after " + retryAfterSeconds + "\n";
                }
                case "/set" -> {
                    long rtt = oneWayNanos * 2 / 1_000_000;
                    long mbit = bytesPerSecond * 8 / 1_000_000;
                    String q = uri.getQuery() == null ? "" : uri.getQuery();
                    for (String kv : q.split("&")) {
                        String[] p = kv.split("=", 2);
                        if (p.length == 2 && p[0].equals("rtt-ms")) {
                            rtt = Long.parseLong(p[1]);
                        } else if (p.length == 2 && p[0].equals("mbit")) {
                            mbit = Long.parseLong(p[1]);
                        } else if (p.length == 2 && p[0].equals("per-connection")) {
                            perConnection = Boolean.parseBoolean(p[1]);
                        }
                    }
                    set(rtt, mbit);
                    body = "rtt-ms " + rtt + "\nmbit " + mbit + "\nper-connection " + perConnection + "\n";
                }
                default -> body = null;
            }
            byte[] bytes = (body == null ? "not found\n" : body).getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain");
            exchange.sendResponseHeaders(body == null ? 404 : 200, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        });
        http.start();
    }

    private static void start(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
    }

    /** Thread.sleep rounds to milliseconds; parking is precise to tens of microseconds. */
    private static void sleepNanos(long nanos) throws InterruptedException {
        long deadline = System.nanoTime() + nanos;
        for (long left = nanos; left > 0; left = deadline - System.nanoTime()) {
            java.util.concurrent.locks.LockSupport.parkNanos(left);
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
        }
    }

    private static void close(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing either way
        }
    }
}
