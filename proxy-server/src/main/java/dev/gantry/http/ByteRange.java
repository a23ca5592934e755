package dev.gantry.http;

import dev.gantry.oci.ErrorCode;
import dev.gantry.oci.RegistryException;
import java.util.Map;

/**
 * A single byte range from a {@code Range} header, resolved against a size.
 * Only {@code bytes=} ranges are understood; several ranges at once are
 * answered with the whole body, as RFC 9110 allows.
 */
record ByteRange(long start, long endInclusive) {

    long length() {
        return endInclusive - start + 1;
    }

    /**
     * Resolves {@code header} against {@code size}.
     *
     * @return the range, or null when the whole body should be sent
     * @throws RegistryException {@code RANGE_INVALID} (416, with
     *     {@code Content-Range: bytes *&#47;size}) when the range is malformed or
     *     unsatisfiable
     */
    static ByteRange parse(String header, long size) {
        if (header == null) {
            return null;
        }
        String h = header.trim();
        if (!h.regionMatches(true, 0, "bytes=", 0, 6)) {
            throw unsatisfiable(header, size, "only bytes ranges are supported");
        }
        String spec = h.substring(6).trim();
        if (spec.contains(",")) {
            return null;
        }
        int dash = spec.indexOf('-');
        if (dash < 0) {
            throw unsatisfiable(header, size, "malformed range");
        }
        String first = spec.substring(0, dash).trim();
        String last = spec.substring(dash + 1).trim();
        try {
            if (first.isEmpty()) {
                long suffix = parseNumber(last);
                if (suffix == 0 || size == 0) {
                    throw unsatisfiable(header, size, "empty suffix range");
                }
                return new ByteRange(Math.max(0, size - suffix), size - 1);
            }
            long start = parseNumber(first);
            if (start >= size) {
                throw unsatisfiable(header, size, "range starts beyond the blob's " + size + " bytes");
            }
            long end = last.isEmpty() ? size - 1 : parseNumber(last);
            if (end < start) {
                throw unsatisfiable(header, size, "range ends before it starts");
            }
            return new ByteRange(start, Math.min(end, size - 1));
        } catch (NumberFormatException e) {
            throw unsatisfiable(header, size, "malformed range");
        }
    }

    private static long parseNumber(String s) {
        if (s.isEmpty() || s.length() > 18 || !s.chars().allMatch(Character::isDigit)) {
            throw new NumberFormatException(s);
        }
        return Long.parseLong(s);
    }

    private static RegistryException unsatisfiable(String header, long size, String why) {
        String shown = header.length() > 64 ? header.substring(0, 64) + "…" : header;
        return new RegistryException(ErrorCode.RANGE_INVALID, 416,
                "range '" + shown.replaceAll("\\p{Cntrl}", "?") + "' not satisfiable: " + why,
                Map.of("Content-Range", "bytes */" + size), null);
    }
}
