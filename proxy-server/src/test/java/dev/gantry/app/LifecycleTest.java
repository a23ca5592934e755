package dev.gantry.app;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.github.tomakehurst.wiremock.WireMockServer;
import dev.gantry.oci.Digest;
import dev.gantry.testing.Awaits;
import dev.gantry.testing.GantryServer;
import dev.gantry.testing.Http;
import dev.gantry.testing.MutableClock;
import dev.gantry.testing.RawClient;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** Health, readiness, the access log and graceful shutdown. */
class LifecycleTest {

    @TempDir
    Path tmp;

    private WireMockServer upstream;
    private GantryServer gantry;
    private byte[] blob;
    private Digest digest;
    /** Threads alive before this test's server started: the ones it starts are the others. */
    private Set<Thread> threadsBefore;

    @BeforeEach
    void start() {
        threadsBefore = Set.copyOf(Thread.getAllStackTraces().keySet());
        blob = new byte[4_000_000];
        new Random(1).nextBytes(blob);
        digest = Digest.sha256(blob);
        upstream = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        upstream.start();
        upstream.stubFor(get(urlPathEqualTo("/v2/test/x/blobs/" + digest)).willReturn(aResponse()
                .withHeader("Content-Length", Integer.toString(blob.length)).withBody(blob).withChunkedDribbleDelay(20, 2000)));
        gantry = GantryServer.mirroring(upstream.baseUrl(), tmp.resolve("data"), MutableClock.startingNow());
    }

    @AfterEach
    void stop() {
        gantry.close();
        upstream.stop();
    }

    @Test
    void healthAndReadinessAnswerWhileServing() {
        Http http = new Http(gantry.url());
        assertThat(http.get("/healthz").status()).isEqualTo(200);
        Http.Response ready = http.get("/readyz");
        assertThat(ready.status()).isEqualTo(200);
        assertThat(ready.text()).contains("ready");
        Http.Response base = http.get("/v2/");
        assertThat(base.status()).isEqualTo(200);
        assertThat(base.header("Docker-Distribution-API-Version")).isEqualTo("registry/2.0");
    }

    @Test
    void everyRequestGetsOneAccessLogLineWithMethodPathStatusBytesDurationAndOutcome() {
        Logger access = (Logger) LoggerFactory.getLogger("gantry.access");
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        access.addAppender(lines);
        try {
            Http http = new Http(gantry.url());
            http.get("/v2/");
            http.get("/v2/test/x/blobs/" + digest);
            http.get("/v2/test/x/blobs/" + digest + "?ns=docker.io");
            http.get("/v2/Bad/manifests/x");
            // A line is written once the response is fully sent, which may be just after the client has it.
            Awaits.until(() -> ours(lines).size() >= 4, Duration.ofSeconds(2), "four access log lines");
        } finally {
            access.detachAppender(lines);
        }
        assertThat(ours(lines)).satisfiesExactly(
                l -> assertThat(l).matches("GET /v2/ 200 2 \\d+\\.\\dms -"),
                l -> assertThat(l).matches("GET /v2/test/x/blobs/" + digest + " 200 4000000 \\d+\\.\\dms miss"),
                l -> assertThat(l).matches("GET /v2/test/x/blobs/" + digest + "\\?ns=docker.io 200 4000000 \\d+\\.\\dms hit"),
                l -> assertThat(l).matches("GET /v2/Bad/manifests/x 400 \\d+ \\d+\\.\\dms -"));
    }

    /**
     * The lines of the requests this test sends. The appender hears the logger of the whole JVM, and
     * a server another test left behind (a warm-up still asking {@code /v2/_catalog} of a port since
     * reused) once added a line of its own to a run of the suite.
     */
    private List<String> ours(ListAppender<ILoggingEvent> lines) {
        List<ILoggingEvent> seen;
        synchronized (lines) { // the appender's doAppend holds this lock while it adds
            seen = List.copyOf(lines.list);
        }
        return seen.stream().map(ILoggingEvent::getFormattedMessage)
                .filter(l -> l.startsWith("GET /v2/ ") || l.startsWith("GET /v2/test/x/") || l.startsWith("GET /v2/Bad/"))
                .toList();
    }

    @Test
    void gracefulShutdownAnswersReadinessWith503WhileResponsesInFlightFinishThenCloses() throws Exception {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        root.addAppender(lines);
        RawClient inFlight = RawClient.get(gantry.hostPort(), "/v2/test/x/blobs/" + digest, 0);
        assertThat(inFlight.status()).isEqualTo(200);
        CompletableFuture<Void> shutdown = CompletableFuture.runAsync(() -> gantry.gantry().shutdown(Duration.ofSeconds(20)));
        try {
            // The blob dribbles for 2 s: the drain is on while the probes below run.
            Http.Response ready = Awaits.until(() -> new Http(gantry.url()).get("/readyz"), r -> r.status() == 503,
                    Duration.ofSeconds(5));
            assertThat(ready.text()).contains("not ready");
            assertThat(new Http(gantry.url()).get("/healthz").status()).as("the process still serves").isEqualTo(200);
            assertThat(shutdown).isNotDone();
            byte[] body = inFlight.readRest(0);
            inFlight.close();
            assertThat(Digest.sha256(body)).as("the response in flight completed").isEqualTo(digest);
            shutdown.get();
        } finally {
            root.detachAppender(lines);
        }
        assertThatThrownBy(() -> new Http(gantry.url()).get("/healthz")).as("closed after the drain")
                .isInstanceOf(UncheckedIOException.class);
        assertThat(new ArrayList<>(lines.list)).extracting(ILoggingEvent::getFormattedMessage)
                .anyMatch(l -> l.matches("shutting down: /readyz answers 503; 1 response\\(s\\) in flight have up to 20s to finish"));
    }

    private List<Thread> serverThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> !threadsBefore.contains(t) && t.getName().startsWith("gantry-")).toList();
    }

    @Test
    void stoppingWithFillsInFlightLogsNoError() throws Exception {
        // Upstreams dribble their blobs over 2 s: the fills are in flight when the process stops.
        List<Digest> digests = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            byte[] b = new byte[500_000];
            new Random(100 + i).nextBytes(b);
            Digest d = Digest.sha256(b);
            digests.add(d);
            upstream.stubFor(get(urlPathEqualTo("/v2/test/x/blobs/" + d)).willReturn(aResponse()
                    .withHeader("Content-Length", Integer.toString(b.length)).withBody(b).withChunkedDribbleDelay(20, 2000)));
        }
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        root.addAppender(lines);
        try {
            List<RawClient> clients = new ArrayList<>();
            for (Digest d : digests) {
                clients.add(RawClient.get(gantry.hostPort(), "/v2/test/x/blobs/" + d, 0));
            }
            gantry.gantry().shutdown(Duration.ZERO);
            for (RawClient c : clients) {
                c.close();
            }
            // What the shutdown cut may log comes from the server's own threads (event loops, blocking
            // pool, maintenance, scans): once every one of them has ended, nothing more can be logged.
            Awaits.until(() -> serverThreads().stream().noneMatch(Thread::isAlive), Duration.ofSeconds(20),
                    "every thread of the stopped server ended");
        } finally {
            root.detachAppender(lines);
        }
        assertThat(lines.list).filteredOn(e -> e.getLevel() == ch.qos.logback.classic.Level.ERROR)
                .extracting(e -> e.getLoggerName() + ": " + e.getFormattedMessage()).isEmpty();
    }
}
