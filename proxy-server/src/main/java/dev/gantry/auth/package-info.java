/**
 * Who the caller is and what it may do: htpasswd users, the bearer tokens of
 * Docker's token protocol (signed with the configured token keys, so every
 * replica accepts them), and the access rules that grant pull, push and
 * delete per repository.
 *
 * <p>Depends only on the configuration: no HTTP, no storage, no registry; {@code http.AuthGate} applies
 * it at the edge.
 */
package dev.gantry.auth;
