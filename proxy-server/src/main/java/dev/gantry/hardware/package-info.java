/**
 * The hardware extension as a service: scans each layer once
 * ({@code LayerScans}), builds and stores a hardware document per platform
 * manifest, publishes it and an NFD image-compatibility artifact as OCI
 * referrers, answers the augmented view, and checks a host profile against a
 * document ({@code Checker}: runs, runs-degraded, will fail).
 *
 * <p>Uses the scanner ({@code scan}) and the registry services. Reads blobs and
 * stores artifacts only through the registry's {@code ArtifactPort}; keeps its own records (layer
 * findings, documents) in the metadata store, never in a blob tier.
 */
package dev.gantry.hardware;
