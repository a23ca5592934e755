package dev.gantry.registry;

import dev.gantry.oci.Reference;

/**
 * Told of what repositories hold: each manifest served or pushed, by the
 * reference it was asked for (a tag then points at it), and each manifest or
 * tag a hosted repository deleted. Called on whatever thread completed the
 * request; implementations must not block and must not throw.
 */
public interface ManifestObserver {

    /** {@code m} was served from or pushed to {@code repo} under {@code reference} (a tag, or its digest). */
    void seen(Repository repo, Reference reference, ManifestResult m);

    /** {@code reference} (a tag, or a manifest's digest with every tag pointing at it) is gone from {@code repo}. */
    void removed(Repository repo, Reference reference);
}
