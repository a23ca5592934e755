package dev.gantry.registry;

import dev.gantry.storage.MetadataStore;
import java.util.concurrent.Executor;

/**
 * Test fixture, never run: a registry class that builds a part itself (a
 * tag store) and a service implementation (the hosted catalog), as
 * {@code Registry} used to. The composition-root rule must name it.
 */
public final class ConstructsAService {

    private ConstructsAService() {
    }

    static TagStore tags(MetadataStore meta, Executor blocking) {
        return new TagStore(meta, blocking, 1);
    }

    static HostedCatalog catalog(MetadataStore meta, Executor blocking) {
        return new HostedCatalog(meta, blocking);
    }
}
