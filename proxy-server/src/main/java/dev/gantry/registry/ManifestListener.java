package dev.gantry.registry;

/** Hears of every manifest served (prefetch, scanning). Must not block. */
@FunctionalInterface
interface ManifestListener {
    ManifestListener NONE = (repo, manifest) -> { };

    void served(Repository repository, ManifestResult manifest);
}
