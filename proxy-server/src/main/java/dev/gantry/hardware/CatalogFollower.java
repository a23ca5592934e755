package dev.gantry.hardware;

import dev.gantry.oci.Digest;
import dev.gantry.registry.Registry;
import dev.gantry.storage.MetadataStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Sets a running server's hardware catalog going: what it follows, and what it reads back at start. */
public final class CatalogFollower {

    private static final Logger log = LoggerFactory.getLogger(CatalogFollower.class);

    private CatalogFollower() {
    }

    /**
     * Builds the catalog of a running server: follows every manifest the
     * registry serves or stores, makes documents as layer scans complete, and
     * reads back (on {@code blocking}, in the background) what repositories
     * held at the last stop.
     *
     * @param localFile a blob's file on this replica's disk, if it is there
     * @param maxImages the most image platforms listed
     */
    public static HardwareCatalog start(Registry registry, HardwareService hardware, LayerScans scans, MetadataStore meta,
                                        Executor blocking, Function<Digest, Optional<Path>> localFile, int maxImages) {
        HardwareCatalog catalog = new HardwareCatalog(new CatalogStore(meta, blocking), blocking, maxImages);
        registry.observeManifests(new ScanFollower(hardware, scans, catalog, localFile));
        blocking.execute(() -> {
            try {
                catalog.load(name -> {
                    try {
                        return registry.resolver().resolve(name, null);
                    } catch (RuntimeException e) {
                        return null;
                    }
                }, hardware::currentDocumentNow);
            } catch (IOException | RuntimeException e) {
                log.warn("cannot read the hardware catalog back; images are listed again as they are pulled: {}", e.toString());
            }
        });
        return catalog;
    }
}
