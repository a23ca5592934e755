package dev.gantry.hardware;

import dev.gantry.registry.Registry;
import java.io.IOException;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What a running server's hardware catalog reads back at start. */
public final class CatalogFollower {

    private static final Logger log = LoggerFactory.getLogger(CatalogFollower.class);

    private CatalogFollower() {
    }

    /**
     * Reads back (on {@code blocking}, in the background) what repositories
     * held at the last stop into {@code catalog}. The composition root builds
     * the catalog and the {@link ScanFollower} that keeps it current.
     */
    public static void readBack(Registry registry, HardwareService hardware, HardwareCatalog catalog, Executor blocking) {
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
    }
}
