package dev.gantry.app;

import dev.gantry.config.GantryConfig;
import dev.gantry.fleet.Fleet;
import dev.gantry.metrics.GantryMetrics;
import dev.gantry.storage.MetadataStore;
import dev.gantry.upstream.Upstream;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * This replica's place in its fleet: the {@link Fleet} and the one thread its
 * heartbeats and reads run on, built and stopped together.
 */
final class FleetMembership {

    private final ScheduledExecutorService scheduler =
            Executors.newSingleThreadScheduledExecutor(new DefaultThreadFactory("gantry-fleet", true));
    private final Fleet fleet;

    /**
     * @param bound the address the server bound, null until it has
     * @param shared the bucket's metadata store, or null without one (a fleet of one)
     */
    FleetMembership(GantryConfig config, Supplier<InetSocketAddress> bound, MetadataStore shared,
                    List<Upstream> upstreams, Clock clock, GantryMetrics metrics) {
        this.fleet = new Fleet(FleetIdentity.id(config.fleet()), () -> FleetIdentity.advertise(config, bound.get()),
                BuildInfo.current().version(), shared, upstreams, config.fleet(), clock, scheduler);
        metrics.gauge("gantry_fleet_members", "Replicas this one counts as members of its fleet, itself included",
                () -> fleet.members().size());
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
