/**
 * Where bytes and records live: the memory, disk and S3 blob tiers behind
 * {@code BlobStore} (the disk tier also behind {@code LocalTier}, the port the
 * registry's fill and upload code use), spool writers that hash as they write and commit only
 * verified blobs, the metadata stores (disk, S3, tiered) and the one place
 * that turns registry objects into keys and paths ({@code StorageLayout}).
 *
 * <p>Knows no HTTP and no registry (checked by {@code LayeringTest}).
 */
package dev.gantry.storage;
