package dev.gantry.fleet;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The members {@code fleet.members} names, and the addresses each name
 * stands for. A name may be this replica's own (a headless Service lists
 * every pod, this one too) or a member the bucket lists under its IP: the
 * fleet compares the addresses, not the names, or this replica would own
 * some keys twice over and ask itself for them over the peer channel, where
 * the request would wait on the very fill that asked. Names are resolved by
 * {@link #refresh()} (a DNS lookup: never on an event loop); until then, and
 * for a name that does not resolve, the name stands only for itself.
 */
final class StaticMembers {

    private final List<String> configured;
    private volatile Map<String, Set<String>> resolved = Map.of();

    StaticMembers(List<String> configured) {
        this.configured = List.copyOf(configured);
    }

    List<String> configured() {
        return configured;
    }

    /** {@code member} as configured, and each {@code ip:port} its host resolved to at the last refresh. */
    Set<String> addressesOf(String member) {
        return resolved.getOrDefault(member, Set.of(member));
    }

    /** Resolves every configured name again. Blocks on DNS. */
    void refresh() {
        Map<String, Set<String>> next = new HashMap<>();
        for (String member : configured) {
            Set<String> forms = new HashSet<>();
            forms.add(member);
            try {
                URI uri = URI.create("http://" + member);
                if (uri.getHost() != null && uri.getPort() > 0) {
                    for (InetAddress a : InetAddress.getAllByName(uri.getHost())) {
                        String ip = a.getHostAddress();
                        forms.add((ip.contains(":") ? "[" + ip + "]" : ip) + ":" + uri.getPort());
                    }
                }
            } catch (UnknownHostException | IllegalArgumentException e) {
                // Not resolvable now: the name stands for itself until a later refresh resolves it.
            }
            next.put(member, Set.copyOf(forms));
        }
        resolved = Map.copyOf(next);
    }
}
