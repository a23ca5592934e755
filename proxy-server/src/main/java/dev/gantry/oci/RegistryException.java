package dev.gantry.oci;

import java.util.Map;
import java.util.Objects;

/**
 * A failure that reaches the client as an OCI error body. Thrown anywhere below
 * the HTTP layer; {@code http.ErrorResponses} is the only place that renders it.
 *
 * <p>The message is shown to the client verbatim, so it must never contain
 * credentials, and should say what the operator or user can do about it.
 */
public class RegistryException extends RuntimeException {

    private final ErrorCode code;
    private final int status;
    private final Map<String, String> headers;

    public RegistryException(ErrorCode code, String message) {
        this(code, code.status(), message, Map.of(), null);
    }

    public RegistryException(ErrorCode code, String message, Throwable cause) {
        this(code, code.status(), message, Map.of(), cause);
    }

    public RegistryException(ErrorCode code, int status, String message, Map<String, String> headers, Throwable cause) {
        super(message, cause);
        this.code = Objects.requireNonNull(code, "code");
        this.status = status;
        this.headers = Map.copyOf(headers);
    }

    public ErrorCode code() {
        return code;
    }

    /** HTTP status to answer with. */
    public int status() {
        return status;
    }

    /** Extra response headers, e.g. {@code Retry-After} or {@code WWW-Authenticate}. */
    public Map<String, String> headers() {
        return headers;
    }
}
