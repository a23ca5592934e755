/**
 * Gantry as a client of upstream registries: a small pooled HTTP/1.1 client
 * on Netty, the distribution API calls as typed results, Docker Hub's token
 * protocol, and the rate-limit state each upstream reports.
 *
 * <p>Knows nothing of the tiers, the registry or the front end.
 */
package dev.gantry.upstream;
