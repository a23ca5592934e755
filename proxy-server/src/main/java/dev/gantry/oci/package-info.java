/**
 * The OCI model: digests, repository names, references, descriptors,
 * manifests, media types and the distribution specification's error codes.
 * Pure values that validate their input; no I/O.
 */
package dev.gantry.oci;
