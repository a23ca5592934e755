package dev.gantry.registry;

import dev.gantry.config.HostedConfig;
import dev.gantry.oci.RepositoryName;

/** Repositories for tests outside this package, which cannot call {@link Repository}'s factories. */
public final class Repositories {

    private Repositories() {
    }

    /** A hosted repository under {@code local/}, e.g. {@code local/app}. */
    public static Repository hosted(String name) {
        return Repository.hosted(name, new HostedConfig("local/", null), RepositoryName.of(name));
    }
}
