package dev.gantry.registry;

import dev.gantry.oci.ErrorCode;
import dev.gantry.oci.RegistryException;
import dev.gantry.storage.SharedWriteException;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * How a push (or a pin made through the admin API) whose record could not
 * reach the shared bucket is answered: {@code 503 UNAVAILABLE} with a
 * {@code Retry-After}, never a success (other replicas would not serve what
 * was acknowledged) and never a bare 500.
 */
final class SharedWrites {

    private SharedWrites() {
    }

    /** {@code step}, with a failed shared write turned into {@code UNAVAILABLE}; other failures pass as they are. */
    static <T> CompletableFuture<T> acknowledged(CompletableFuture<T> step) {
        return acknowledged(step, "could not serve this push");
    }

    /**
     * {@link #acknowledged(CompletableFuture)}, saying what the other replicas would have missed, e.g.
     * {@code "would not know this pin"}.
     */
    static <T> CompletableFuture<T> acknowledged(CompletableFuture<T> step, String othersWould) {
        return step.exceptionallyCompose(e -> CompletableFuture.failedFuture(mapped(e, othersWould)));
    }

    /** {@code UNAVAILABLE} for a failed shared write anywhere in {@code e}'s causes; else {@code e}. */
    static Throwable mapped(Throwable e) {
        return mapped(e, "could not serve this push");
    }

    private static Throwable mapped(Throwable e, String othersWould) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SharedWriteException s) {
                return new RegistryException(ErrorCode.UNAVAILABLE, 503,
                        "shared storage failed, so other replicas " + othersWould + "; try again: " + s.getMessage(),
                        Map.of("Retry-After", "5"), s);
            }
        }
        return e;
    }
}
