package dev.gantry.app;

import dev.gantry.config.FleetConfig;
import dev.gantry.config.GantryConfig;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/** Who this replica is in its fleet, and where the others reach it, when configuration leaves it open. */
final class FleetIdentity {

    private FleetIdentity() {
    }

    /**
     * {@code fleet.id}, or the host name (a pod's name) and a random suffix:
     * a restarted process is a new member, and two on one host never share a record.
     */
    static String id(FleetConfig config) {
        if (config.id() != null) {
            return config.id();
        }
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            host = "gantry";
        }
        host = host.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._-]", "-");
        if (host.isEmpty() || !Character.isLetterOrDigit(host.charAt(0))) {
            host = "gantry" + host;
        }
        byte[] suffix = new byte[3];
        ThreadLocalRandom.current().nextBytes(suffix);
        return (host.length() > 48 ? host.substring(0, 48) : host) + "-" + HexFormat.of().formatHex(suffix);
    }

    /** {@code fleet.advertise}, or the listen host (this host's address when it listens on all) and the bound port; null before binding. */
    static String advertise(GantryConfig config, InetSocketAddress bound) {
        if (config.fleet().advertise() != null) {
            return config.fleet().advertise();
        }
        if (bound == null) {
            return null;
        }
        String host = config.listenHost();
        if (host.equals("0.0.0.0") || host.equals("::") || host.isEmpty()) {
            try {
                host = InetAddress.getLocalHost().getHostAddress();
            } catch (UnknownHostException e) {
                host = bound.getHostString();
            }
        }
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + bound.getPort();
    }
}
