package dev.gantry.app;

import dev.gantry.auth.PeerTokens;
import dev.gantry.config.GantryConfig;
import dev.gantry.fleet.Fleet;
import dev.gantry.fleet.PeerNews;
import dev.gantry.metrics.GantryMetrics;
import dev.gantry.storage.MetadataStore;
import dev.gantry.upstream.HttpTransport;
import dev.gantry.upstream.PeerPost;
import dev.gantry.upstream.Upstream;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This replica's place in its fleet: the {@link Fleet} and the one thread its
 * heartbeats and reads run on, built and stopped together.
 */
final class FleetMembership {

    private static final Logger log = LoggerFactory.getLogger(FleetMembership.class);
    private static final Duration NEWS_TIMEOUT = Duration.ofSeconds(2);

    private final ScheduledExecutorService scheduler =
            Executors.newSingleThreadScheduledExecutor(new DefaultThreadFactory("gantry-fleet", true));
    private final Fleet fleet;

    /**
     * @param bound the address the server bound, null until it has
     * @param shared the bucket's metadata store, or null without one (a fleet of one)
     */
    FleetMembership(GantryConfig config, Supplier<InetSocketAddress> bound, MetadataStore shared,
                    List<Upstream> upstreams, Clock clock, GantryMetrics metrics, PeerNews news) {
        this.fleet = new Fleet(FleetIdentity.id(config.fleet()), () -> FleetIdentity.advertise(config, bound.get()),
                BuildInfo.current().version(), shared, upstreams, config.fleet(), clock, scheduler, news);
        metrics.gauge("gantry_fleet_members", "Replicas this one counts as members of its fleet, itself included",
                () -> fleet.members().size());
    }

    /**
     * How a rate-limit wait reaches the live members at once: a POST on the peer channel, when the
     * replicas share a secret ({@code auth.tokenKeys}); else nothing (the bucket carries it).
     */
    static PeerNews news(HttpTransport transport, PeerTokens peers, boolean tls) {
        if (peers == null) {
            return PeerNews.NONE;
        }
        PeerPost post = new PeerPost(transport, peers::authorization, tls ? "https" : "http", NEWS_TIMEOUT);
        return (peer, record) -> post.post(peer.address(), record).handle((status, error) -> {
            if (error != null || status != 200) {
                log.debug("fleet: news to {} not taken ({}); the bucket carries it", peer.id(), error != null ? error : status);
            }
            return null;
        });
    }

    /** Takes a member's news from the peer channel; unreadable news is refused (IllegalArgumentException). */
    void receive(byte[] record) {
        try {
            fleet.receive(record);
        } catch (IOException e) {
            throw new IllegalArgumentException("not a member record: " + e.getMessage(), e);
        }
    }

    Fleet fleet() {
        return fleet;
    }

    void start() {
        fleet.start();
    }

    /** Stops the heartbeats, then removes this replica's record: a heartbeat written now must not land after it. */
    void stop() {
        scheduler.shutdownNow();
        try {
            scheduler.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        fleet.close();
    }
}
