package dev.gantry.registry;

import dev.gantry.oci.ErrorCode;
import dev.gantry.oci.RegistryException;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The refusals both kinds of upload session answer ({@link LocalUploads},
 * {@link SharedUploads}), worded in one place so that a client is told the
 * same whichever replica or store holds its session.
 */
final class UploadRefusals {

    private static final Pattern ID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    private UploadRefusals() {
    }

    /** Whether {@code id} has the form of a session id (a random UUID). */
    static boolean wellFormed(String id) {
        return id != null && ID.matcher(id).matches();
    }

    /** {@code BLOB_UPLOAD_UNKNOWN}, naming the id only as far as it is printable. */
    static RegistryException unknown(String id) {
        return new RegistryException(ErrorCode.BLOB_UPLOAD_UNKNOWN, "upload " + printable(id) + " is unknown or expired");
    }

    /** Whether an upload failed because its bytes did not match its digest (the session is then over). */
    static boolean isDigestInvalid(Throwable failure) {
        return UpstreamErrors.unwrap(failure) instanceof RegistryException r && r.code() == ErrorCode.DIGEST_INVALID;
    }

    /** 416: another request is writing to the session, which holds {@code held} bytes. */
    static RegistryException busy(String id, long held) {
        return new RegistryException(ErrorCode.RANGE_INVALID, 416, "another request is writing to upload " + id,
                Map.of("Range", range(held)), null);
    }

    /** 416: a chunk that does not start where the session stands ({@code held} bytes). */
    static RegistryException outOfOrder(String id, long start, long held) {
        return new RegistryException(ErrorCode.RANGE_INVALID, 416, "chunk starts at " + start + " but upload " + id
                + " holds " + held + " bytes; continue at " + held, Map.of("Range", range(held)), null);
    }

    /** {@code 0-<end>}: what the session holds, as the spec writes ranges ({@code 0-0} when empty). */
    static String range(long written) {
        return "0-" + Math.max(0, written - 1);
    }

    private static String printable(String id) {
        return id == null ? "(none)" : id.length() > 40 ? id.substring(0, 40) + "…" : id.replaceAll("[^A-Za-z0-9-]", "?");
    }
}
