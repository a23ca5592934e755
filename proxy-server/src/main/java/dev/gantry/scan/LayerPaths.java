package dev.gantry.scan;

import dev.gantry.scan.tar.ScanAbort;

/**
 * Paths inside a layer: entry names normalised to absolute paths, and the
 * whiteout conventions of the OCI image spec.
 */
final class LayerPaths {
    static final String WHITEOUT = ".wh.";
    static final String OPAQUE = ".wh..wh..opq";
    /** Linux's PATH_MAX: no engine can extract a longer name, and glob matching stays cheap below it. */
    static final int MAX_PATH = 4096;

    private LayerPaths() {
    }

    /**
     * The absolute, clean form of a tar entry name ({@code ./usr/bin/} to
     * {@code /usr/bin}).
     *
     * @throws ScanAbort {@code PATH_TRAVERSAL} for a name with a {@code ..} component:
     *     container engines refuse such layers, so a scan of one must not pass;
     *     {@code LIMIT} for a name longer than {@link #MAX_PATH}
     */
    static String normalise(String name) throws ScanAbort {
        if (name.length() > MAX_PATH) {
            throw new ScanAbort("LIMIT", "entry name longer than " + MAX_PATH + " bytes: " + printable(name));
        }
        StringBuilder out = new StringBuilder(name.length() + 1);
        int i = 0;
        int n = name.length();
        while (i < n) {
            int j = name.indexOf('/', i);
            if (j < 0) {
                j = n;
            }
            String part = name.substring(i, j);
            if (part.equals("..")) {
                throw new ScanAbort("PATH_TRAVERSAL", "entry name escapes the layer root: " + printable(name));
            }
            if (!part.isEmpty() && !part.equals(".")) {
                out.append('/').append(part);
            }
            i = j + 1;
        }
        return out.length() == 0 ? "/" : out.toString();
    }

    static String parent(String path) {
        int slash = path.lastIndexOf('/');
        return slash <= 0 ? "/" : path.substring(0, slash);
    }

    static String join(String dir, String name) {
        return dir.equals("/") ? "/" + name : dir + "/" + name;
    }

    static String printable(String text) {
        String cut = text.length() > 120 ? text.substring(0, 120) + "…" : text;
        return cut.replaceAll("\\p{Cntrl}", "?");
    }
}
