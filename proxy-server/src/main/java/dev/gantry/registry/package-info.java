/**
 * The registry's services as the HTTP layer sees them: manifests, blobs,
 * tags, uploads, referrers and the catalog, for proxied (pull-through) and
 * hosted repositories. Here live one fill per digest ({@code FillCoordinator},
 * {@code BlobFill}), the tiers in read order ({@code BlobTiers}), tag
 * revalidation, pushes and cross-repository mounts, prefetch policy and the
 * retention of the shared tier. The events of a blob's life go through one
 * {@code BlobEvents} hub. Nothing here constructs a service or wires
 * listeners: {@code app} builds every part and hands each its collaborators
 * (checked by {@code LayeringTest.onlyAppConstructsRegistryServices}).
 *
 * <p>Uses {@code storage}, {@code upstream}, {@code content} and {@code oci};
 * knows no HTTP.
 */
package dev.gantry.registry;
