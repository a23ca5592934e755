package dev.gantry.http;

import dev.gantry.oci.ErrorCode;
import dev.gantry.oci.RegistryException;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Where passwords are checked: a bcrypt costs tens to hundreds of
 * milliseconds of CPU (the cost the htpasswd file's entries chose), which on
 * an event loop would stall every connection it serves, pulls in progress
 * included. A few threads (half the cores) and a short queue: a flood of
 * wrong passwords gets {@code 429} once they are full, and the rest of the
 * mirror keeps its CPU. The pool is bounded by hand ({@code ThreadPoolExecutor}
 * with an {@code ArrayBlockingQueue}): no library in the stack offers more here.
 */
final class PasswordChecks implements AutoCloseable {

    static final int QUEUE = 64;

    private final ThreadPoolExecutor pool;

    PasswordChecks() {
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
        AtomicInteger n = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(QUEUE), r -> {
            Thread t = new Thread(r, "gantry-passwords-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        pool.allowCoreThreadTimeOut(true);
    }

    /** Runs {@code check} on a password thread; fails with {@code 429} when too many wait already. */
    CompletableFuture<Void> run(Runnable check) {
        try {
            return CompletableFuture.runAsync(check, pool);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedFuture(new RegistryException(ErrorCode.TOOMANYREQUESTS, 429,
                    "too many logins are being checked at once; try again in a second", Map.of("Retry-After", "1"), null));
        }
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
