package dev.gantry.app;

import dev.gantry.hardware.LayerScans;
import dev.gantry.oci.Descriptor;
import dev.gantry.oci.Digest;
import dev.gantry.oci.Manifest;
import dev.gantry.registry.BlobEvents;
import dev.gantry.registry.BlobTiers;
import dev.gantry.registry.LayerTypes;
import dev.gantry.registry.Repository;
import dev.gantry.storage.DiskBlobStore;

/**
 * Scans layers as they arrive, in the background: a layer a fill or an
 * upload committed (when a manifest named it as a layer), and the layers of
 * a pushed manifest. Pulls and pushes are never slowed by it. A layer that
 * came from another member of the fleet or from the shared tier is scanned by
 * the replica that fetched it from upstream; this replica takes its findings
 * from the shared store ({@link LayerScans#backgroundAfterOwner}).
 */
final class ScanOnArrival implements BlobEvents.Listener {

    private final LayerTypes layerTypes;
    private final LayerScans scans;
    private final DiskBlobStore disk;

    ScanOnArrival(LayerTypes layerTypes, LayerScans scans, DiskBlobStore disk) {
        this.layerTypes = layerTypes;
        this.scans = scans;
        this.disk = disk;
    }

    @Override
    public void fillCommitted(Digest digest, BlobTiers.Origin origin) {
        String type = layerTypes.mediaType(digest);
        if (type == null) {
            return;
        }
        if (origin == BlobTiers.Origin.UPSTREAM) {
            scan(digest, type);
        } else if (disk.statNow(digest).isPresent()) {
            // The replica that fetched it from upstream scans it: one scan per layer in the fleet. From the
            // bucket, its findings may be there already; from its owner, they cannot be yet.
            scans.backgroundAfterOwner(digest, type, disk.pathOf(digest), origin == BlobTiers.Origin.SHARED);
        }
    }

    @Override
    public void uploadCommitted(Repository repo, Digest digest) {
        committed(digest);
    }

    @Override
    public void manifestPushed(Repository repo, Digest digest, Manifest manifest) {
        for (Descriptor l : manifest.layers()) {
            scan(l.parsedDigest(), l.mediaType());
        }
    }

    private void committed(Digest digest) {
        String type = layerTypes.mediaType(digest);
        if (type != null) {
            scan(digest, type);
        }
    }

    private void scan(Digest digest, String mediaType) {
        if (disk.statNow(digest).isPresent()) {
            scans.background(digest, mediaType, disk.pathOf(digest));
        }
    }
}
