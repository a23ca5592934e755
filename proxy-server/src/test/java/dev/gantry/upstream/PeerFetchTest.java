package dev.gantry.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gantry.config.UpstreamConfig;
import dev.gantry.net.NetRuntime;
import dev.gantry.oci.Digest;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Who counts as unreachable on the peer channel: an owner nobody listens
 * for, or one whose connection broke, is left out for a while; an owner
 * that is there but slow (waiting on its own upstream) keeps its keys, and
 * only this request goes to the upstream itself.
 */
class PeerFetchTest {

    private NetRuntime net;
    private HttpTransport transport;
    private final List<Socket> held = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (Socket s : held) {
            s.close();
        }
        if (transport != null) {
            transport.close();
        }
        if (net != null) {
            net.close();
        }
    }

    /** Directs every key to {@code owner}, and notes whom the fetch found unreachable. */
    private static final class OneOwner implements PeerFetch.Directory {
        final String owner;
        final List<String> unreachable = new CopyOnWriteArrayList<>();

        OneOwner(String owner) {
            this.owner = owner;
        }

        @Override
        public String ownerOf(String key) {
            return unreachable.contains(owner) ? null : owner;
        }

        @Override
        public String authorization(String method, String target) {
            return "Gantry-Peer 1.x";
        }

        @Override
        public void unreachable(String address) {
            unreachable.add(address);
        }
    }

    private PeerFetch fetch(OneOwner directory) {
        net = NetRuntime.create(1);
        transport = new HttpTransport(net, Duration.ofSeconds(2), 4);
        return new PeerFetch(transport, directory, "http");
    }

    private static Upstream upstream(Duration readTimeout) {
        return new Upstream(new UpstreamConfig("docker.io", "http://127.0.0.1:1", true, null, null, null, null, readTimeout,
                null, null, null), Clock.systemUTC());
    }

    @Test
    void anOwnerThatAcceptsButIsSlowKeepsItsKeys() throws Exception {
        ServerSocket slow = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread accepting = new Thread(() -> {
            try {
                held.add(slow.accept()); // reads nothing, answers nothing: an owner waiting on its upstream
            } catch (Exception ignored) {
                // closed at the end of the test
            }
        });
        accepting.start();
        OneOwner directory = new OneOwner("127.0.0.1:" + slow.getLocalPort());
        try {
            assertThatThrownBy(() -> fetch(directory).blob(upstream(Duration.ofMillis(300)), "library/app",
                    Digest.sha256("x".getBytes(StandardCharsets.UTF_8)), null).get(10, TimeUnit.SECONDS))
                    .hasRootCauseInstanceOf(UpstreamException.class);
            assertThat(directory.unreachable).as("owners left out").isEmpty();
        } finally {
            slow.close();
            accepting.join(5_000);
        }
    }

    @Test
    void anOwnerNobodyListensForIsLeftOut() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        OneOwner directory = new OneOwner("127.0.0.1:" + closedPort);

        // Left out, and this replica then owns the key itself: the caller asks the upstream (null).
        assertThat(fetch(directory).blob(upstream(Duration.ofSeconds(5)), "library/app",
                Digest.sha256("x".getBytes(StandardCharsets.UTF_8)), null).get(10, TimeUnit.SECONDS)).isNull();
        assertThat(directory.unreachable).containsExactly(directory.owner);
    }
}
