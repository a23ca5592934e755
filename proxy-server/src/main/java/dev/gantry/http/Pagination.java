package dev.gantry.http;

import dev.gantry.oci.ErrorCode;
import dev.gantry.oci.RegistryException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Distribution's list paging ({@code n}, {@code last}, a {@code Link} to the
 * next page), shared by the catalog and the admin repository list.
 */
final class Pagination {

    private Pagination() {
    }

    /** {@code <path?n=..&last=..&ns=..>; rel="next"}: the page after {@code next}, with the request's {@code ns}. */
    static String nextLink(Exchange ex, String path, Integer n, String next) {
        StringBuilder link = new StringBuilder("<").append(path).append("?");
        if (n != null) {
            link.append("n=").append(n).append('&');
        }
        link.append("last=").append(URLEncoder.encode(next, StandardCharsets.UTF_8));
        String ns = ex.param("ns");
        if (ns != null) {
            link.append("&ns=").append(URLEncoder.encode(ns, StandardCharsets.UTF_8));
        }
        return link.append(">; rel=\"next\"").toString();
    }

    /**
     * The {@code n} parameter: null when absent or empty; a 400 unless a non-negative integer; one beyond what
     * an int holds asks for everything, and gets it (the page is as long as the list).
     */
    static Integer pageSize(String n) {
        if (n == null || n.isEmpty()) {
            return null;
        }
        try {
            long v = Long.parseLong(n);
            if (v < 0) {
                throw new NumberFormatException();
            }
            return (int) Math.min(v, Integer.MAX_VALUE);
        } catch (NumberFormatException e) {
            if (n.chars().allMatch(Character::isDigit)) {
                return Integer.MAX_VALUE; // more digits than a long holds: still a non-negative integer
            }
            throw new RegistryException(ErrorCode.UNSUPPORTED, 400, "n must be a non-negative integer", Map.of(), null);
        }
    }
}
