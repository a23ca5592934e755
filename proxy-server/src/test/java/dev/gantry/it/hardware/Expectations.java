package dev.gantry.it.hardware;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.function.Predicate;

/**
 * What a search query means, written against the hardware document's JSON
 * as the README states it: the test's own reading, independent of the
 * server's code. {@code repository=} is left to the caller (it is about the
 * repository, not the document).
 */
final class Expectations {

    private Expectations() {
    }

    static Predicate<JsonNode> of(String query) {
        Predicate<JsonNode> all = doc -> true;
        for (String part : query.split("&")) {
            if (part.isEmpty()) {
                continue;
            }
            String name = part.substring(0, part.indexOf('='));
            String value = part.substring(part.indexOf('=') + 1);
            all = all.and(switch (name) {
                case "hardware" -> hardware(value);
                case "runsOn" -> doc -> doc.at("/platform/architecture").asText().equals("amd64")
                        && level(doc.at("/platform/cpu/level").asText("")) <= Integer.parseInt(value.substring("x86-64-v".length()));
                case "feature" -> doc -> doc.at("/platform/cpu/features").has(value);
                case "requires" -> doc -> doc.at("/platform/cpu/features").path(value).asText().equals("required");
                case "devices" -> doc -> value.equals("none") == doc.path("passthru-devices").isEmpty();
                case "arch" -> doc -> doc.at("/platform/architecture").asText().equals(value);
                case "repository" -> doc -> true;
                default -> throw new IllegalArgumentException(name);
            });
        }
        return all;
    }

    private static Predicate<JsonNode> hardware(String value) {
        String cls = value.contains(":") ? value.substring(0, value.indexOf(':')) : value;
        boolean anyLevel = value.endsWith(":supported");
        return doc -> {
            for (Map.Entry<String, JsonNode> e : doc.at("/platform/hardware").properties()) {
                boolean named = e.getKey().equals(cls) || e.getKey().startsWith(cls + ".");
                if (named && (anyLevel || e.getValue().asText().equals("required"))) {
                    return true;
                }
            }
            return false;
        };
    }

    private static int level(String level) {
        return level.startsWith("x86-64-v") ? Integer.parseInt(level.substring("x86-64-v".length())) : 1;
    }
}
