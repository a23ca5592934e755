/**
 * Replicas sharing one S3 bucket as one mirror: who the members are
 * (heartbeats in the bucket, plus a static list from configuration) and one
 * view of each upstream's rate-limit budget. Knows the metadata store
 * interface and the upstream's rate-limit state; never HTTP, the registry or
 * a blob tier.
 */
package dev.gantry.fleet;
