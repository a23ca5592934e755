package dev.gantry.http;

import dev.gantry.metrics.GantryMetrics;

/**
 * Records each finished exchange: one access-log line and the request
 * metrics (by route label and method, never by anything else a client
 * chose). One per server; it keeps nothing per request.
 */
final class ExchangeRecorder {

    private final AccessLog accessLog;
    private final GantryMetrics metrics;

    ExchangeRecorder(AccessLog accessLog, GantryMetrics metrics) {
        this.accessLog = accessLog;
        this.metrics = metrics;
    }

    /**
     * @param success whether the whole response reached the connection (else the log line says "incomplete")
     * @param outcome the cache outcome, or "-"
     * @param note what else the log line should say, or null
     */
    void record(Exchange ex, boolean success, int status, long bytes, String outcome, String note) {
        long nanos = ex.elapsedNanos();
        String method = ex.request().method().name();
        accessLog.record(method, ex.rawPath(), ex.param("ns"), status, bytes, nanos, outcome,
                success ? note : (note == null ? "incomplete" : note + " incomplete"));
        metrics.httpRequest(ex.routeLabel(), methodLabel(method), success ? status : -1, bytes, nanos);
        if (success) {
            metrics.responseBytes(outcome, bytes);
        }
    }

    /** Standard methods by name; anything else as "other", so clients cannot create label values. */
    private static String methodLabel(String m) {
        return switch (m) {
            case "GET", "HEAD", "PUT", "POST", "PATCH", "DELETE", "OPTIONS" -> m;
            default -> "OTHER";
        };
    }
}
