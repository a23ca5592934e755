/**
 * Replicas sharing one S3 bucket as one mirror: who the members are
 * (heartbeats in the bucket, plus a static list from configuration), one
 * view of each upstream's rate-limit budget, and who owns which blob or
 * manifest ({@link dev.gantry.fleet.Ownership}).
 *
 * <p>One upstream fetch per key, fleet-wide, is by ownership: rendezvous
 * hashing ({@link dev.gantry.fleet.Rendezvous}) over the live members picks
 * an owner per digest and per repository:tag, a non-owner streams the content
 * from the owner's single fill over the authenticated peer channel, and falls
 * back to the upstream when the owner is gone. Chosen over leases by S3
 * conditional writes ({@code If-None-Match: *}) with readers tailing the
 * winner: a lease costs a bucket round trip on every miss before the first
 * byte moves and needs expiry and takeover rules for a dead holder, and a
 * reader on another replica cannot tail a spool on the winner's disk anyway,
 * so bytes would still have to travel replica to replica (or wait for the
 * object to land). Ownership needs no write on the hot path, the members are
 * already known from the heartbeats, and a dead owner costs one refused
 * connection. Its weak spot is a moment when replicas see different members
 * (a death not yet noticed, or a start not yet announced: a new replica tells
 * the members it lists over the peer channel, and they list the bucket at
 * once): they may then pick different owners and fetch a key twice, never
 * serve wrong bytes.
 *
 * <p>Knows the metadata store interface and the upstream's rate-limit state;
 * never HTTP, the registry or a blob tier (the peer channel's client is
 * {@code upstream.PeerFetch}, its endpoint is in {@code http}).
 */
package dev.gantry.fleet;
