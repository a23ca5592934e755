package dev.gantry.http;

import dev.gantry.oci.ErrorCode;
import dev.gantry.oci.RegistryException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * A byte range from a {@code Range} header (RFC 9110 §14.1.2), resolved
 * against a size. Only {@code bytes=} ranges are understood.
 */
record ByteRange(long start, long endInclusive) {

    /**
     * Most ranges one request may ask for. zstd:chunked partial pulls ask for
     * tens of chunks at once; hundreds of small ranges are a sign of a broken
     * client or of one trying to make the server work (RFC 9110 §14.2 lets a
     * server reject those).
     */
    static final int MAX_RANGES = 64;

    long length() {
        return endInclusive - start + 1;
    }

    /** The {@code Content-Range} value of this range of a blob of {@code size} bytes. */
    String contentRange(long size) {
        return "bytes " + start + "-" + endInclusive + "/" + size;
    }

    /**
     * Resolves {@code header} against {@code size}: the ranges to send, in
     * ascending order, overlapping and adjacent ones merged (RFC 9110 §14.3
     * lets a server coalesce them), ranges that start beyond the end left out.
     *
     * @return the ranges, or an empty list when the whole body should be sent
     * @throws RegistryException {@code RANGE_INVALID} (416, with
     *     {@code Content-Range: bytes *&#47;size}) when the header is malformed,
     *     asks for more than {@link #MAX_RANGES} ranges, or no range is satisfiable
     */
    static List<ByteRange> parse(String header, long size) {
        if (header == null) {
            return List.of();
        }
        String h = header.trim();
        if (!h.regionMatches(true, 0, "bytes=", 0, 6)) {
            return List.of(); // a range unit not understood is ignored (RFC 9110 §14.2): the whole body
        }
        String[] specs = h.substring(6).split(",", -1);
        if (specs.length > MAX_RANGES) {
            throw unsatisfiable(header, size, "more than " + MAX_RANGES + " ranges");
        }
        List<ByteRange> ranges = new ArrayList<>();
        String unsatisfiable = null;
        for (String spec : specs) {
            String s = spec.trim();
            if (s.isEmpty() && specs.length > 1) {
                continue; // an empty list element (RFC 9110 §5.6.1)
            }
            try {
                ByteRange r = one(s, size);
                if (r == null) {
                    unsatisfiable = "the ranges lie beyond the blob's " + size + " bytes";
                } else {
                    ranges.add(r);
                }
            } catch (IllegalArgumentException e) {
                throw unsatisfiable(header, size, e.getMessage());
            }
        }
        if (ranges.isEmpty()) {
            throw unsatisfiable(header, size, unsatisfiable != null ? unsatisfiable : "no range given");
        }
        return coalesce(ranges);
    }

    /** One range-spec; null when it is valid but lies beyond the end (or is an empty suffix). */
    private static ByteRange one(String spec, long size) {
        int dash = spec.indexOf('-');
        if (dash < 0) {
            throw new IllegalArgumentException("malformed range");
        }
        String first = spec.substring(0, dash).trim();
        String last = spec.substring(dash + 1).trim();
        if (first.isEmpty()) {
            long suffix = parseNumber(last);
            if (suffix == 0 || size == 0) {
                return null;
            }
            return new ByteRange(Math.max(0, size - suffix), size - 1);
        }
        long start = parseNumber(first);
        long end = last.isEmpty() ? Long.MAX_VALUE : parseNumber(last);
        if (end < start) {
            throw new IllegalArgumentException("range ends before it starts");
        }
        if (start >= size) {
            return null;
        }
        return new ByteRange(start, Math.min(end, size - 1));
    }

    private static List<ByteRange> coalesce(List<ByteRange> ranges) {
        if (ranges.size() == 1) {
            return List.copyOf(ranges);
        }
        List<ByteRange> sorted = new ArrayList<>(ranges);
        sorted.sort(Comparator.comparingLong(ByteRange::start));
        List<ByteRange> out = new ArrayList<>();
        ByteRange current = sorted.get(0);
        for (ByteRange next : sorted.subList(1, sorted.size())) {
            if (next.start <= current.endInclusive + 1) {
                current = new ByteRange(current.start, Math.max(current.endInclusive, next.endInclusive));
            } else {
                out.add(current);
                current = next;
            }
        }
        out.add(current);
        return List.copyOf(out);
    }

    private static long parseNumber(String s) {
        if (s.isEmpty() || s.length() > 18 || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException("malformed range");
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
