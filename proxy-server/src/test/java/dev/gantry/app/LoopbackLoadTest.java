package dev.gantry.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.testing.Awaits;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The warm-up's loopback load comes and goes as clients do: it opens a new
 * connection after {@link LoopbackLoad#REQUESTS_PER_CONNECTION} requests, so
 * the server has compiled the opening and closing of connections before it
 * reports ready.
 */
class LoopbackLoadTest {

    @Test
    void aConnectionCarriesAtMostItsShareOfRequestsThenANewOneIsOpened() throws Exception {
        AtomicInteger connections = new AtomicInteger();
        AtomicInteger mostOnOne = new AtomicInteger();
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> serve(server, connections, mostOnOne), "test-server");
            acceptor.setDaemon(true);
            acceptor.start();
            LoopbackLoad load = new LoopbackLoad("127.0.0.1", server.getLocalPort(), List.of(new LoopbackLoad.Ask("GET", "/v2/", null)));
            int wanted = LoopbackLoad.REQUESTS_PER_CONNECTION * 3 + 10;
            AtomicBoolean going = new AtomicBoolean(true);
            List<Thread> threads = load.start(1, () -> going.get() && load.answers() < wanted);
            Awaits.until(() -> load.answers() >= wanted, Duration.ofSeconds(30), "the load's answers");
            going.set(false);
            for (Thread t : threads) {
                t.join(5_000);
            }

            assertThat(connections.get()).as("connections opened for %d answers", load.answers()).isGreaterThanOrEqualTo(4);
            assertThat(mostOnOne.get()).isEqualTo(LoopbackLoad.REQUESTS_PER_CONNECTION);
        }
    }

    /** Answers every request of every connection with a 2-byte body; counts connections and the most requests on one. */
    private static void serve(ServerSocket server, AtomicInteger connections, AtomicInteger mostOnOne) {
        while (!server.isClosed()) {
            try (Socket c = server.accept()) {
                connections.incrementAndGet();
                BufferedReader in = new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.ISO_8859_1));
                OutputStream out = c.getOutputStream();
                int requests = 0;
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    if (line.isEmpty()) {
                        out.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.ISO_8859_1));
                        out.flush();
                        mostOnOne.accumulateAndGet(++requests, Math::max);
                    }
                }
            } catch (IOException e) {
                // closed: the test is over
            }
        }
    }
}
