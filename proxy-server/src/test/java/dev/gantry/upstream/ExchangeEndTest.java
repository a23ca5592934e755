package dev.gantry.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.testing.Awaits;
import dev.gantry.content.BodyConsumer;
import dev.gantry.net.NetRuntime;
import dev.gantry.testing.ScriptedUpstream;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * How an exchange ends on a pooled connection: every body consumer hears the
 * end, whenever it subscribes, and a connection goes back to the pool only
 * after a clean exchange whose body was accepted.
 */
class ExchangeEndTest {

    private NetRuntime net;
    private HttpTransport transport;
    private ScriptedUpstream upstream;

    @AfterEach
    void stop() throws Exception {
        if (transport != null) {
            transport.close();
        }
        if (net != null) {
            net.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    private void start(ScriptedUpstream.Answer answer) throws Exception {
        upstream = new ScriptedUpstream(req -> answer);
        net = NetRuntime.create(2);
        transport = new HttpTransport(net, Duration.ofSeconds(5), 4);
    }

    private UpstreamResponse get() throws Exception {
        URI uri = URI.create(upstream.url() + "/blob");
        return transport.execute(new UpstreamRequest(HttpMethod.GET, uri, new DefaultHttpHeaders(), Duration.ofSeconds(30)))
                .get(10, TimeUnit.SECONDS);
    }

    /** Records how the body ended; its verdict is the test's to give. */
    private static final class Recorder implements BodyConsumer {
        final CompletableFuture<Long> ended = new CompletableFuture<>();
        final CompletableFuture<Void> verdict;
        long bytes;

        Recorder(CompletableFuture<Void> verdict) {
            this.verdict = verdict;
        }

        @Override
        public CompletionStage<?> onData(ByteBuf chunk) {
            bytes += chunk.readableBytes();
            chunk.release();
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public void onEnd() {
            ended.complete(bytes);
        }

        @Override
        public void onError(Throwable cause) {
            ended.completeExceptionally(cause);
        }

        @Override
        public CompletionStage<?> verdict() {
            return verdict;
        }
    }

    @Test
    void aConsumerThatSubscribesAfterTheConnectionWasCutIsToldOfTheCut() throws Exception {
        // The head and part of the body, then the connection closes: what a fill saw when the
        // upstream cut it while the fill was still opening its spool file.
        start(ScriptedUpstream.Answer.of(200, Map.of("Content-Length", "100000"), new byte[3000], true));
        UpstreamResponse response = get();
        assertThat(response.status()).isEqualTo(200);
        waitFor(() -> upstream.closedConnections() == 1);
        // The client's event loop sees the close (a read-hangup event is read even with no read
        // requested) and fails the exchange; the consumer subscribes only after that.
        ExchangeHandler exchange = (ExchangeHandler) response.body();
        waitFor(() -> exchange.failure() != null);
        assertThat(exchange.failure()).hasMessageContaining("closed before the response ended");

        Recorder consumer = new Recorder(CompletableFuture.completedFuture(null));
        response.subscribe(consumer);

        assertThat(consumer.ended).failsWithin(Duration.ofSeconds(5))
                .withThrowableThat().havingRootCause().isInstanceOf(UpstreamException.class)
                .withMessageContaining("closed before the response ended");
    }

    @Test
    void aConnectionWhoseBodyTheConsumerAcceptedIsReused() throws Exception {
        start(ScriptedUpstream.Answer.of(200, Map.of("Content-Length", "5000"), new byte[5000], false));
        for (int i = 0; i < 3; i++) {
            Recorder consumer = new Recorder(CompletableFuture.completedFuture(null));
            get().subscribe(consumer);
            assertThat(consumer.ended).succeedsWithin(Duration.ofSeconds(5)).isEqualTo(5000L);
        }
        assertThat(upstream.connections()).isEqualTo(1);
    }

    @Test
    void aConnectionWhoseBodyTheConsumerRejectedIsClosedNotReused() throws Exception {
        start(ScriptedUpstream.Answer.of(200, Map.of("Content-Length", "5000"), new byte[5000], false));
        for (int i = 0; i < 3; i++) {
            Recorder consumer = new Recorder(CompletableFuture.failedFuture(new IllegalStateException("digest mismatch")));
            get().subscribe(consumer);
            assertThat(consumer.ended).succeedsWithin(Duration.ofSeconds(5)).isEqualTo(5000L);
            int closed = i + 1;
            waitFor(() -> upstream.closedConnections() == closed);
        }
        assertThat(upstream.connections()).as("a fresh connection per request").isEqualTo(3);
    }

    @Test
    void theConnectionIsHeldUntilTheConsumerJudgedTheBody() throws Exception {
        start(ScriptedUpstream.Answer.of(200, Map.of("Content-Length", "5000"), new byte[5000], false));
        CompletableFuture<Void> verdict = new CompletableFuture<>();
        Recorder first = new Recorder(verdict);
        get().subscribe(first);
        assertThat(first.ended).succeedsWithin(Duration.ofSeconds(5));

        // While the first body is being judged, a second request cannot have its connection.
        CompletableFuture<UpstreamResponse> second = transport.execute(new UpstreamRequest(HttpMethod.GET,
                URI.create(upstream.url() + "/blob"), new DefaultHttpHeaders(), Duration.ofSeconds(30)));
        assertThat(second.get(10, TimeUnit.SECONDS).status()).isEqualTo(200);
        assertThat(upstream.connections()).as("the held connection was not lent out").isEqualTo(2);
        verdict.completeExceptionally(new IllegalStateException("digest mismatch"));
        waitFor(() -> upstream.closedConnections() == 1);
        second.join().discard();
    }

    private static void waitFor(java.util.function.BooleanSupplier condition) {
        Awaits.until(condition, Duration.ofSeconds(10), "condition");
    }
}
