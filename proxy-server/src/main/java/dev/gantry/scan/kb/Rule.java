package dev.gantry.scan.kb;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One knowledge-base rule: an id, what it matches, and what a match implies.
 *
 * @param globs for {@link Kind#PATH}, {@link Kind#NEEDED}, {@link Kind#DEVICE}, {@link Kind#COMMAND},
 *     {@link Kind#VOLUME}, {@link Kind#CONTENT} (the files to read), {@link Kind#ENV} and
 *     {@link Kind#LABEL} (the name)
 * @param sections for {@link Kind#SECTION}
 * @param literals for {@link Kind#CONTENT} and {@link Kind#COMMAND_TEXT}
 * @param value for {@link Kind#ENV} and {@link Kind#LABEL}: the whole value must match, or null for any
 * @param ignore for {@link Kind#ENV}: values that do not count
 */
public record Rule(String id, String description, Kind kind, List<Glob> globs, Set<String> sections,
        List<String> literals, Pattern value, Set<String> ignore, Implication implies) {

    /** The kinds of match, as spelled in the YAML. */
    public enum Kind {
        PATH("path"), NEEDED("needed"), SECTION("section"), CONTENT("content"), DEVICE("device"),
        ENV("env"), LABEL("label"), COMMAND("command"), COMMAND_TEXT("commandText"), VOLUME("volume");

        private final String key;

        Kind(String key) {
            this.key = key;
        }

        public String key() {
            return key;
        }
    }

    public Rule {
        globs = List.copyOf(globs);
        sections = Set.copyOf(sections);
        literals = List.copyOf(literals);
        ignore = Set.copyOf(ignore);
    }

    /** Whether any of the rule's globs matches the path (or file name). */
    public boolean matchesPath(String path) {
        for (Glob g : globs) {
            if (g.matchesPath(path)) {
                return true;
            }
        }
        return false;
    }

    /** Whether any of the rule's globs matches the name as a whole. */
    public boolean matchesName(String name) {
        for (Glob g : globs) {
            if (g.matchesName(name)) {
                return true;
            }
        }
        return false;
    }

    /** For env and label rules: whether the value counts. */
    public boolean matchesValue(String v) {
        String text = v == null ? "" : v;
        if (ignore.contains(text.trim().toLowerCase(Locale.ROOT))) {
            return false;
        }
        return value == null || value.matcher(text.trim()).matches();
    }
}
