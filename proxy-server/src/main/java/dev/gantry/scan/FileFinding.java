package dev.gantry.scan;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A knowledge-base rule that matched a file of a layer.
 *
 * @param path absolute path in the layer
 * @param rule the rule id
 * @param detail what matched when it is not the path itself: the soname, section or text, or null
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record FileFinding(String path, String rule, String detail) {
    public FileFinding {
        requireNonNull(path, "path");
        requireNonNull(rule, "rule");
    }
}
