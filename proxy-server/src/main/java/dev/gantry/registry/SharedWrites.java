package dev.gantry.registry;

import dev.gantry.oci.ErrorCode;
import dev.gantry.oci.RegistryException;
import dev.gantry.storage.SharedWriteException;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * How a push whose record could not reach the shared bucket is answered:
 * {@code 503 UNAVAILABLE} with a {@code Retry-After}, never a success (other
 * replicas would not serve what was acknowledged) and never a bare 500.
 */
final class SharedWrites {

    private SharedWrites() {
    }

    /** {@code step}, with a failed shared write turned into {@code UNAVAILABLE}; other failures pass as they are. */
    static <T> CompletableFuture<T> acknowledged(CompletableFuture<T> step) {
        return step.exceptionallyCompose(e -> {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof SharedWriteException s) {
                    return CompletableFuture.failedFuture(new RegistryException(ErrorCode.UNAVAILABLE, 503,
                            "shared storage refused the write, so other replicas could not serve it; try again: " + s.getMessage(),
                            Map.of("Retry-After", "5"), s));
                }
            }
            return CompletableFuture.failedFuture(e);
        });
    }
}
