package dev.gantry.oci;

/**
 * The error codes of the OCI distribution specification, plus
 * {@link #UNAVAILABLE} for an upstream Gantry cannot reach and
 * {@link #TOOMANYREQUESTS} for rate limiting. Each code carries the HTTP status
 * it is answered with unless the thrower chose another.
 *
 * <p>This is the one registry of error codes; {@code http.ErrorResponses}
 * is the one place they are written to the wire.
 */
public enum ErrorCode {
    BLOB_UNKNOWN(404, "blob unknown to registry"),
    BLOB_UPLOAD_INVALID(400, "blob upload invalid"),
    BLOB_UPLOAD_UNKNOWN(404, "blob upload unknown to registry"),
    DIGEST_INVALID(400, "provided digest did not match uploaded content"),
    MANIFEST_BLOB_UNKNOWN(404, "manifest references a manifest or blob unknown to registry"),
    MANIFEST_INVALID(400, "manifest invalid"),
    MANIFEST_UNKNOWN(404, "manifest unknown to registry"),
    NAME_INVALID(400, "invalid repository name"),
    NAME_UNKNOWN(404, "repository name not known to registry"),
    SIZE_INVALID(400, "provided length did not match content length"),
    UNAUTHORIZED(401, "authentication required"),
    DENIED(403, "requested access to the resource is denied"),
    UNSUPPORTED(405, "the operation is unsupported"),
    TOOMANYREQUESTS(429, "too many requests"),
    RANGE_INVALID(416, "requested range not satisfiable"),
    UNAVAILABLE(503, "upstream registry unavailable");

    private final int status;
    private final String description;

    ErrorCode(int status, String description) {
        this.status = status;
        this.description = description;
    }

    /** The HTTP status this code is answered with by default. */
    public int status() {
        return status;
    }

    public String description() {
        return description;
    }
}
