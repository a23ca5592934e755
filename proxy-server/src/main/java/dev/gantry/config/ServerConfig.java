package dev.gantry.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Duration;

/**
 * The HTTP front end.
 *
 * @param shutdownGrace how long a graceful shutdown waits for responses in flight
 * @param accessLog one log line per request
 * @param ioThreads event-loop threads; 0 means one per core
 * @param blockingThreads threads for disk work that may block
 * @param headerTimeout how long a request's head (request line and headers) may
 *     take to arrive once its first byte did; then 408 and the connection closes
 * @param idleTimeout how long a connection may go without a byte read or written:
 *     between requests it then closes; a request whose body stopped arriving is
 *     answered 408 (its upload session is released) and the connection closes
 * @param warmUp how long at most a new process sends requests to itself (hot
 *     blobs, manifests, HEADs) before {@code /readyz} answers ready: it stops
 *     as soon as it serves them at steady speed, so its first clients meet
 *     compiled code; 0 turns the warm-up off
 */
public record ServerConfig(
        @JsonProperty("shutdownGrace") Duration shutdownGrace,
        @JsonProperty("accessLog") Boolean accessLog,
        @JsonProperty("ioThreads") Integer ioThreads,
        @JsonProperty("blockingThreads") Integer blockingThreads,
        @JsonProperty("headerTimeout") Duration headerTimeout,
        @JsonProperty("idleTimeout") Duration idleTimeout,
        @JsonProperty("warmUp") Duration warmUp) {

    public ServerConfig {
        shutdownGrace = shutdownGrace != null ? shutdownGrace : Duration.ofSeconds(30);
        accessLog = accessLog == null || accessLog;
        ioThreads = ioThreads != null ? ioThreads : 0;
        blockingThreads = blockingThreads != null ? blockingThreads : 16;
        headerTimeout = headerTimeout != null ? headerTimeout : Duration.ofSeconds(10);
        idleTimeout = idleTimeout != null ? idleTimeout : Duration.ofSeconds(120);
        warmUp = warmUp != null ? warmUp : Duration.ofSeconds(10);
    }
}
