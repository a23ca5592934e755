package dev.gantry.scan.kb;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds the path rules matching a file without trying every glob: globs are
 * bucketed by the first two literal characters of the file name they match,
 * else by its last two, and only the rest are tried on every path. A layer
 * has tens of thousands of files and the knowledge base over a hundred path
 * globs, so this is what keeps matching off the profile.
 */
final class PathIndex {
    private record Entry(Glob glob, Rule rule) {
    }

    private final Map<String, List<Entry>> byPrefix = new HashMap<>();
    private final Map<String, List<Entry>> bySuffix = new HashMap<>();
    private final List<Entry> always = new ArrayList<>();

    PathIndex(List<Rule> rules) {
        for (Rule rule : rules) {
            for (Glob g : rule.globs()) {
                Entry e = new Entry(g, rule);
                if (g.literalPrefix().length() >= 2) {
                    byPrefix.computeIfAbsent(g.literalPrefix().substring(0, 2), k -> new ArrayList<>()).add(e);
                } else if (g.literalSuffix().length() >= 2) {
                    String s = g.literalSuffix();
                    bySuffix.computeIfAbsent(s.substring(s.length() - 2), k -> new ArrayList<>()).add(e);
                } else {
                    always.add(e);
                }
            }
        }
    }

    /** The rules with a glob matching {@code path}, each once, in knowledge-base order of discovery. */
    List<Rule> match(String path) {
        String name = path.substring(path.lastIndexOf('/') + 1);
        List<Rule> out = null;
        if (name.length() >= 2) {
            out = collect(byPrefix.get(name.substring(0, 2)), path, out);
            out = collect(bySuffix.get(name.substring(name.length() - 2)), path, out);
        }
        out = collect(always, path, out);
        return out == null ? List.of() : out;
    }

    private static List<Rule> collect(List<Entry> entries, String path, List<Rule> out) {
        if (entries == null) {
            return out;
        }
        for (Entry e : entries) {
            if ((out == null || !out.contains(e.rule())) && e.glob().matchesPath(path)) {
                if (out == null) {
                    out = new ArrayList<>(2);
                }
                out.add(e.rule());
            }
        }
        return out;
    }
}
