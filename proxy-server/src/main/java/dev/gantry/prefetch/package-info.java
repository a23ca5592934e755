/**
 * Manifest-triggered prefetch's machinery: a bounded queue with concurrency
 * limits, and the disk reserve that keeps prefetch from taking the space
 * clients' pulls need. The policy (what to prefetch when) is
 * {@code registry.ManifestPrefetch}.
 */
package dev.gantry.prefetch;
