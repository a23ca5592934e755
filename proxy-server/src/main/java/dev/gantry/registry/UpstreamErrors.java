package dev.gantry.registry;

import dev.gantry.oci.ErrorCode;
import dev.gantry.oci.RegistryException;
import dev.gantry.storage.DigestMismatchException;
import dev.gantry.upstream.UpstreamException;
import dev.gantry.upstream.UpstreamStatusException;
import java.util.Map;
import java.util.concurrent.CompletionException;

/** Turns upstream failures into the OCI errors a client sees. */
final class UpstreamErrors {

    private UpstreamErrors() {
    }

    /**
     * @param notFound the code for an upstream 404 (BLOB_UNKNOWN, MANIFEST_UNKNOWN…)
     * @param what what was asked for, for the message
     */
    static RegistryException map(Throwable failure, Repository repo, ErrorCode notFound, String what) {
        Throwable t = unwrap(failure);
        if (t instanceof RegistryException r) {
            return r;
        }
        String upstream = repo.namespace();
        if (t instanceof UpstreamStatusException s) {
            int status = s.status();
            if (status == 404) {
                return new RegistryException(notFound, what + " not found at " + upstream);
            }
            if (status == 401 || status == 403) {
                return new RegistryException(ErrorCode.DENIED, upstream + " refused access to " + repo.name()
                        + " (HTTP " + status + "); if it is private, configure credentials for this upstream");
            }
            if (status == 429) {
                long seconds = Math.max(1, s.retryAfter().toSeconds());
                return new RegistryException(ErrorCode.TOOMANYREQUESTS, 429, upstream + " is rate-limiting Gantry and "
                        + what + " is not cached; retry in " + seconds + "s", Map.of("Retry-After", Long.toString(seconds)), t);
            }
            return new RegistryException(ErrorCode.UNAVAILABLE, 503, upstream + " failed: " + s.getMessage(),
                    Map.of("Retry-After", "5"), t);
        }
        if (t instanceof DigestMismatchException) {
            return new RegistryException(ErrorCode.UNAVAILABLE, 502, upstream + " served content for " + what
                    + " that does not match its digest or size; nothing was cached", Map.of("Retry-After", "5"), t);
        }
        if (t instanceof UpstreamException u) {
            if (u.kind() == UpstreamException.Kind.TOO_LARGE) {
                return new RegistryException(ErrorCode.MANIFEST_INVALID, 502, u.getMessage(), Map.of(), t);
            }
            return new RegistryException(ErrorCode.UNAVAILABLE, 503, upstream + " is unreachable and " + what
                    + " is not cached: " + u.getMessage(), Map.of("Retry-After", "5"), t);
        }
        return new RegistryException(ErrorCode.UNAVAILABLE, 503, "fetching " + what + " from " + upstream
                + " failed: " + t, Map.of(), t);
    }

    /** Whether a failure is the upstream being down, slow or busy — the cases a stale answer covers. */
    static boolean isTransient(Throwable failure) {
        Throwable t = unwrap(failure);
        return t instanceof UpstreamException u && u.kind() != UpstreamException.Kind.TOO_LARGE
                || t instanceof UpstreamStatusException s && s.isTransient();
    }

    static boolean isNotFound(Throwable failure) {
        return unwrap(failure) instanceof UpstreamStatusException s && s.status() == 404;
    }

    static Throwable unwrap(Throwable t) {
        while (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /** A short reason for the stale header and the log. */
    static String reason(Throwable failure) {
        Throwable t = unwrap(failure);
        if (t instanceof UpstreamStatusException s) {
            return s.status() == 429 ? "rate-limited" : "upstream-status-" + s.status();
        }
        if (t instanceof UpstreamException u) {
            return u.kind() == UpstreamException.Kind.TIMEOUT ? "upstream-timeout" : "upstream-unreachable";
        }
        return "upstream-error";
    }
}
