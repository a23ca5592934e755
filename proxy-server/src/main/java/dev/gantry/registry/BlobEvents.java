package dev.gantry.registry;

import dev.gantry.oci.Digest;
import dev.gantry.oci.Manifest;

/**
 * The events of a blob's life, in one place: a fill committed or failed, an
 * upload committed, a manifest fetched, served or pushed, a blob evicted, a
 * layer scanned.
 * The registry's parts report here; who reacts (the tiers, metrics, prefetch,
 * the layer scanner) is registered by the application, never by the part
 * that reports.
 */
public interface BlobEvents {

    /**
     * Hears of the events it overrides. Called on the reporting thread (a
     * blocking-work thread for commits, the request's thread otherwise): must
     * not block a request's thread. A listener that throws is logged and
     * skipped; the others still hear of the event.
     */
    interface Listener {

        /** A fill committed {@code digest} to this replica's disk, its bytes from {@code origin}. */
        default void fillCommitted(Digest digest, BlobTiers.Origin origin) {
        }

        /** A fill of {@code digest} failed and stored nothing ({@code origin} null if no source answered). */
        default void fillFailed(Digest digest, BlobTiers.Origin origin) {
        }

        /** A client's upload committed {@code digest} to {@code repo}. */
        default void uploadCommitted(Repository repo, Digest digest) {
        }

        /** A manifest of {@code repo} is being fetched from upstream: its blobs may follow. */
        default void manifestFetching(Repository repo) {
        }

        /** A proxied manifest was served (every time). */
        default void manifestServed(Repository repo, ManifestResult manifest) {
        }

        /**
         * A proxied manifest was served and had not been within the last
         * {@link BlobEventHub#REPLAN_AFTER}: the work done once per manifest
         * (noting its layers, planning prefetch) goes here, not in every GET.
         */
        default void manifestServedAnew(Repository repo, ManifestResult manifest) {
        }

        /** A manifest was pushed to hosted {@code repo}. */
        default void manifestPushed(Repository repo, Digest digest, Manifest manifest) {
        }

        /** The disk tier evicted {@code digest} ({@code size} bytes). */
        default void evicted(Digest digest, long size) {
        }

        /**
         * The findings of layer {@code digest} are stored and will not be
         * retried: a background scan stored them, found them stored, or took
         * them from the replica that fetched the layer. May come more than
         * once for a layer. Called on a scanner or blocking thread.
         */
        default void scanned(Digest digest) {
        }
    }

    /** Adds a listener; it hears of every event reported after this call. */
    void listen(Listener listener);
}
