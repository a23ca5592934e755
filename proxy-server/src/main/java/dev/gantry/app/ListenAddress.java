package dev.gantry.app;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/** The {@code listen} address: checked before anything is written, explained when binding fails. */
final class ListenAddress {

    private static final String HINT = "another process holds it: stop that process, or choose another address with "
            + "'listen' in the configuration or --listen HOST:PORT";

    private ListenAddress() {
    }

    /** @throws StartupException when the address cannot be bound now */
    static void checkFree(String host, int port) {
        if (port == 0) {
            return;
        }
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(new InetSocketAddress(host, port));
        } catch (IOException e) {
            throw failure(host, port, e);
        }
    }

    /** Turns a bind failure into one line naming the key; other failures pass through. */
    static RuntimeException explain(Exception e, String host, int port) {
        if (e instanceof IOException io && (io instanceof BindException || String.valueOf(io.getMessage()).contains("in use"))) {
            return failure(host, port, io);
        }
        return e instanceof RuntimeException r ? r : new IllegalStateException(e);
    }

    private static StartupException failure(String host, int port, IOException e) {
        String why = e instanceof BindException || String.valueOf(e.getMessage()).contains("in use")
                ? "address already in use" : String.valueOf(e.getMessage());
        return new StartupException("cannot listen on " + host + ":" + port + " (key 'listen'): " + why, HINT, e);
    }
}
