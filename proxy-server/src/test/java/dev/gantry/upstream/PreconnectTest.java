package dev.gantry.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.net.NetRuntime;
import dev.gantry.testing.Awaits;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Connections opened ahead of requests: counted at a plain socket server
 * (WireMock cannot say how many connections it accepted).
 */
class PreconnectTest {

    private ServerSocket server;
    /** Client ports of the accepted connections, in the order the server accepted them. */
    private final List<Integer> acceptedPorts = new CopyOnWriteArrayList<>();
    /** Client ports of the test's own sentinel connections. */
    private final Set<Integer> sentinels = ConcurrentHashMap.newKeySet();
    private final AtomicInteger requests = new AtomicInteger();
    private NetRuntime net;
    private HttpTransport transport;
    private URI base;

    @BeforeEach
    void start() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(() -> {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    acceptedPorts.add(s.getPort());
                    Thread t = new Thread(() -> serve(s));
                    t.setDaemon(true);
                    t.start();
                } catch (IOException e) {
                    return;
                }
            }
        });
        acceptor.setDaemon(true);
        acceptor.start();
        base = URI.create("http://127.0.0.1:" + server.getLocalPort() + "/");
        net = NetRuntime.create(1);
        transport = new HttpTransport(net, Duration.ofSeconds(5), 6);
    }

    /** Keep-alive HTTP/1.1: an empty 200 for every request head. */
    private void serve(Socket s) {
        try (s; BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
             OutputStream out = s.getOutputStream()) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.isEmpty()) {
                    requests.incrementAndGet();
                    out.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                }
            }
        } catch (IOException ignored) {
            // the client closed
        }
    }

    /**
     * Connections the transport opened so far, counted exactly rather than
     * after a pause: the client sees a connection before the server's accept
     * returns, so the test opens a sentinel connection and waits for the
     * server to accept it. One acceptor takes connections from the backlog in
     * the order they were made, so every connection opened before the
     * sentinel has been accepted by then, and none after it is counted.
     */
    private int connectionsOpened() throws IOException {
        try (Socket sentinel = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort())) {
            int port = sentinel.getLocalPort();
            sentinels.add(port);
            Awaits.until(() -> acceptedPorts.contains(port), Duration.ofSeconds(5), "the sentinel connection accepted");
            return (int) acceptedPorts.subList(0, acceptedPorts.indexOf(port)).stream().filter(p -> !sentinels.contains(p)).count();
        }
    }

    @AfterEach
    void stop() throws IOException {
        transport.close();
        net.close();
        server.close();
    }

    @Test
    void preconnectedConnectionsCarryTheRequestsThatFollowWithoutNewHandshakes() throws Exception {
        assertThat(transport.preconnect(base, 4).get(5, TimeUnit.SECONDS)).isEqualTo(4);
        assertThat(connectionsOpened()).isEqualTo(4);
        assertThat(requests.get()).as("no request is sent to open a connection").isZero();

        List<CompletableFuture<UpstreamResponse>> four = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            four.add(transport.execute(new UpstreamRequest(HttpMethod.GET, base.resolve("/v2/x/blobs/" + i),
                    new DefaultHttpHeaders(), Duration.ofSeconds(5))));
        }
        for (CompletableFuture<UpstreamResponse> f : four) {
            UpstreamResponse r = f.get(5, TimeUnit.SECONDS);
            assertThat(r.status()).isEqualTo(200);
            r.discard();
        }
        assertThat(requests.get()).isEqualTo(4);
        assertThat(connectionsOpened()).as("four concurrent requests found four open connections").isEqualTo(4);
    }

    @Test
    void preconnectNeverGoesBeyondThePoolsRoom() throws Exception {
        assertThat(transport.preconnect(base, 50).get(5, TimeUnit.SECONDS)).isEqualTo(6);
        assertThat(connectionsOpened()).isEqualTo(6);
        assertThat(transport.preconnect(base, 3).get(5, TimeUnit.SECONDS)).as("idle ones are reused").isEqualTo(3);
        assertThat(connectionsOpened()).isEqualTo(6);
    }
}
