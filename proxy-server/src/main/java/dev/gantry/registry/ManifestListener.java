package dev.gantry.registry;

/** Hears of every manifest served (prefetch, scanning). Must not block. */
@FunctionalInterface
interface ManifestListener {
    ManifestListener NONE = (repo, manifest) -> { };

    void served(Repository repository, ManifestResult manifest);

    /** A manifest is being fetched from upstream (a tag moved or was never seen): its blobs may follow. */
    default void fetching(Repository repository) {
    }
}
