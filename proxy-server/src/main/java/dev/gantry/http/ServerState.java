package dev.gantry.http;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The server's life as requests see it: whether it is ready, whether it is
 * draining (then every response closes its connection), and how many
 * responses are being sent. Shared by the server, which changes it, and the
 * connections and probes, which read it; it knows neither.
 */
final class ServerState {

    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean draining;
    private volatile boolean ready;

    /** The listener is bound and the process warm: readiness probes answer 200. */
    void started() {
        ready = true;
    }

    /** Shutting down: readiness probes answer 503, responses close their connections. */
    void drain() {
        draining = true;
        ready = false;
    }

    boolean draining() {
        return draining;
    }

    boolean ready() {
        return ready && !draining;
    }

    void requestStarted() {
        inFlight.incrementAndGet();
    }

    void requestFinished() {
        inFlight.decrementAndGet();
    }

    /** Responses being sent now. */
    int inFlight() {
        return inFlight.get();
    }
}
