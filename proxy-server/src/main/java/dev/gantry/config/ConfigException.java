package dev.gantry.config;

import java.util.List;
import java.util.Optional;

/**
 * A configuration that cannot be used. Each problem names the key at fault and
 * what was expected; a validation reports every problem it found at once, so
 * an operator fixes a file in one round rather than one error per start.
 */
public final class ConfigException extends RuntimeException {

    private final List<String> problems;
    private final GantryConfig parsed;

    public ConfigException(String message) {
        this(List.of(message), null, null);
    }

    public ConfigException(String message, Throwable cause) {
        this(List.of(message), null, cause);
    }

    /** @param problems one line each, at least one */
    public ConfigException(List<String> problems) {
        this(problems, null, null);
    }

    /**
     * @param parsed the configuration as read, problems and all, when the file
     *     could be mapped at all: later checks can still report theirs
     */
    public ConfigException(List<String> problems, GantryConfig parsed) {
        this(problems, parsed, null);
    }

    private ConfigException(List<String> problems, GantryConfig parsed, Throwable cause) {
        super(String.join("\n", problems), cause);
        this.parsed = parsed;
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("a ConfigException needs a problem");
        }
        this.problems = List.copyOf(problems);
    }

    /** The configuration as read despite its problems, or empty when it could not be mapped. */
    public Optional<GantryConfig> parsed() {
        return Optional.ofNullable(parsed);
    }

    /** Every problem found, one line each, in the order of the configuration's keys. */
    public List<String> problems() {
        return problems;
    }
}
