package dev.gantry.registry;

/** How a request was answered, for the access log and metrics. */
public enum CacheOutcome {
    /** From a storage tier, nothing asked upstream. */
    HIT,
    /** From the shared (S3) tier, verified on its way to the local tiers. */
    SHARED,
    /** Fetched upstream for this request. */
    MISS,
    /** Joined a fill another request started. */
    JOINED,
    /** A tag confirmed unchanged upstream with a HEAD. */
    REVALIDATED,
    /** The last good answer, served because upstream failed or is rate-limiting. */
    STALE,
    /** A recent upstream 404 remembered. */
    NEGATIVE,
    /** Passed through from upstream without caching. */
    UPSTREAM,
    /** Not a cacheable request. */
    NONE
}
