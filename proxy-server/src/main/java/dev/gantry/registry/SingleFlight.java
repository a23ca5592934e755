package dev.gantry.registry;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Runs one computation per key at a time; concurrent callers for the same key
 * share its result. The key is forgotten when the computation completes, so a
 * later call starts afresh.
 */
final class SingleFlight<K, V> {

    private final Map<K, CompletableFuture<V>> inFlight = new ConcurrentHashMap<>();

    CompletableFuture<V> run(K key, Supplier<CompletableFuture<V>> work) {
        CompletableFuture<V> mine = new CompletableFuture<>();
        CompletableFuture<V> existing = inFlight.putIfAbsent(key, mine);
        if (existing != null) {
            return existing;
        }
        CompletableFuture<V> result;
        try {
            result = work.get();
        } catch (RuntimeException e) {
            result = CompletableFuture.failedFuture(e);
        }
        result.whenComplete((v, e) -> {
            inFlight.remove(key, mine);
            if (e != null) {
                mine.completeExceptionally(e);
            } else {
                mine.complete(v);
            }
        });
        return mine;
    }

    int size() {
        return inFlight.size();
    }
}
