package dev.gantry.app;

import dev.gantry.metrics.GantryMetrics;
import dev.gantry.oci.Digest;
import dev.gantry.registry.BlobEvents;
import dev.gantry.registry.BlobTiers;
import java.util.Locale;

/** Counts the fills that ended (by source and result) and the disk tier's evictions. */
final class EventMetrics implements BlobEvents.Listener {

    private final GantryMetrics metrics;

    EventMetrics(GantryMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public void fillCommitted(Digest digest, BlobTiers.Origin origin) {
        metrics.fillFinished(source(origin), true);
    }

    @Override
    public void fillFailed(Digest digest, BlobTiers.Origin origin) {
        metrics.fillFinished(source(origin), false);
    }

    @Override
    public void evicted(Digest digest, long size) {
        metrics.eviction("disk", size);
    }

    private static String source(BlobTiers.Origin origin) {
        return origin == null ? "unknown" : origin.name().toLowerCase(Locale.ROOT);
    }
}
