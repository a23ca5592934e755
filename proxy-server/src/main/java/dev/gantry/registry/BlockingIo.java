package dev.gantry.registry;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * Store and disk work run on the blocking executor as a future: the one way
 * the registry's stores go off the event loop. An {@link IOException} fails
 * the future with an {@link UncheckedIOException} around it, the type the
 * callers that tell a failed read or write apart look for; other exceptions
 * fail it as they are.
 */
final class BlockingIo {

    /** Work that reads or writes and yields a value. */
    interface Work<T> {
        T run() throws IOException;
    }

    /** Work that reads or writes and yields nothing. */
    interface Action {
        void run() throws IOException;
    }

    private BlockingIo() {
    }

    static <T> CompletableFuture<T> supply(Executor blocking, Work<T> work) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return work.run();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, blocking);
    }

    static CompletableFuture<Void> run(Executor blocking, Action action) {
        return CompletableFuture.runAsync(() -> {
            try {
                action.run();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, blocking);
    }
}
