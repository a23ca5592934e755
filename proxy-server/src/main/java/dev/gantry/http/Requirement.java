package dev.gantry.http;

/**
 * What a route needs before its handler runs: every row of the
 * {@link RouteTable} names one, and {@link RouteGuard} enforces it, once,
 * before any handler. Writes ({@link #PUSH}, {@link #UPLOAD},
 * {@link #DELETE}) are refused on a mirrored repository whoever asks (the
 * read-only answer comes before any authentication: there is nothing to
 * authorize).
 */
enum Requirement {
    /** Anyone, without credentials: probes, metrics, the console's files, the token endpoint. */
    PUBLIC,
    /** Credentials, if any, must be valid; what the answer lists is filtered per repository. */
    CALLER,
    /** {@code GET /v2/}: with users configured, the caller must say who it is (what {@code docker login} checks). */
    LOGIN,
    /** {@code pull} on the route's repository. */
    PULL,
    /** {@code push} on the route's repository, which must be hosted. */
    PUSH,
    /** As {@link #PUSH}; a challenge also names the scope a mount's {@code from=} repository needs. */
    UPLOAD,
    /** {@code delete} on the route's repository, which must be hosted. */
    DELETE,
    /** The admin API: a caller that holds {@code admin} somewhere (each repository is checked again by name). */
    ADMIN,
    /**
     * The peer channel: another replica of this fleet, proven by the fleet's shared secret
     * ({@code Gantry-Peer}), on a mirrored repository; it has authorized its own client already.
     */
    PEER;

    /** Whether the route writes to its repository (refused on mirrored ones). */
    boolean writes() {
        return this == PUSH || this == UPLOAD || this == DELETE;
    }

    /** Whether an anonymous caller can never pass (absent a policy or loopback rule that grants it by name). */
    boolean authenticates() {
        return writes() || this == ADMIN || this == PEER;
    }
}
