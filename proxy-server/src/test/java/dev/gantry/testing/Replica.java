package dev.gantry.testing;

/**
 * A Gantry a test started, in-process ({@link GantryServer}) or as its own
 * process ({@link GantryProcess}): what a {@link Fleet} needs of its members.
 */
public interface Replica extends AutoCloseable {

    /** {@code http://127.0.0.1:port} */
    String url();

    /** {@code 127.0.0.1:port} */
    String hostPort();

    /** Stops it (a graceful stop for a process). */
    @Override
    void close();
}
