package dev.gantry.scan.kb;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gantry.schema.Level;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Typed, strict reads of the knowledge base's YAML nodes for {@link KbParser}: each names
 * where it failed (file, rule, key) in its {@link KnowledgeBaseException}, so a typo cannot
 * silently disable a rule.
 */
final class KbFields {
    /** Characters that make a device path a pattern, which {@code docker run --device} cannot take. */
    private static final Pattern GLOB_CHARS = Pattern.compile("[*?\\[{]");

    private KbFields() {
    }

    static Level level(String text, String where) {
        try {
            return Level.of(text);
        } catch (IllegalArgumentException e) {
            throw new KnowledgeBaseException(where + ": " + e.getMessage(), e);
        }
    }

    /** Device paths as {@code docker run --device} takes them: absolute, concrete (no glob). */
    static List<String> devices(JsonNode v, String where) {
        List<String> out = strings(v, where);
        for (String d : out) {
            if (!d.startsWith("/dev/") || GLOB_CHARS.matcher(d).find()) {
                throw new KnowledgeBaseException(where + ": '" + d + "' is not a concrete path under /dev"
                        + " (docker run --device takes no patterns; put patterns under 'patterns')");
            }
        }
        return out;
    }

    static List<Glob> globs(List<String> texts, String where) {
        List<Glob> out = new ArrayList<>();
        for (String t : texts) {
            try {
                out.add(Glob.compile(t));
            } catch (IllegalArgumentException e) {
                throw new KnowledgeBaseException(where + ": bad glob '" + t + "': " + e.getMessage(), e);
            }
        }
        return out;
    }

    static void requireKeys(JsonNode node, Set<String> allowed, String where) {
        if (!node.isObject()) {
            throw new KnowledgeBaseException(where + ": expected a mapping");
        }
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!allowed.contains(key)) {
                throw new KnowledgeBaseException(where + ": unknown key '" + key + "' (expected one of "
                        + allowed.stream().sorted().toList() + ")");
            }
        }
    }

    static String text(JsonNode node, String key, String where, boolean required) {
        JsonNode v = node.get(key);
        if (v == null || v.isNull()) {
            if (required) {
                throw new KnowledgeBaseException(where + ": '" + key + "' is required");
            }
            return null;
        }
        if (!v.isValueNode()) {
            throw new KnowledgeBaseException(where + ": '" + key + "' must be text");
        }
        return v.asText();
    }

    static List<String> strings(JsonNode v, String where) {
        if (v == null || v.isNull()) {
            return List.of();
        }
        if (!v.isArray()) {
            throw new KnowledgeBaseException(where + ": expected a list");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode e : v) {
            if (!e.isValueNode()) {
                throw new KnowledgeBaseException(where + ": expected a list of text");
            }
            out.add(e.asText());
        }
        return List.copyOf(out);
    }
}
