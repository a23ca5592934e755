package dev.gantry.upstream;

/** Hears of every upstream response (or failure, status -1): for metrics and tests. Must not block. */
@FunctionalInterface
public interface UpstreamObserver {
    UpstreamObserver NONE = (upstream, kind, status) -> { };

    void request(Upstream upstream, RequestKind kind, int status);
}
