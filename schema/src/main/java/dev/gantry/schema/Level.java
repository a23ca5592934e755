package dev.gantry.schema;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * How much an image depends on a feature, as in the DAIS 2021 extended
 * platform object: {@code required} when the container fails without it,
 * {@code supported} when it uses the feature if present or can emulate it.
 */
public enum Level {
    SUPPORTED("supported"),
    REQUIRED("required");

    private final String json;

    Level(String json) {
        this.json = json;
    }

    /** The stronger of two levels; {@code null} counts as absent. */
    public static Level max(Level a, Level b) {
        if (a == null) {
            return b;
        }
        if (b == null) {
            return a;
        }
        return a == REQUIRED || b == REQUIRED ? REQUIRED : SUPPORTED;
    }

    @JsonValue
    public String json() {
        return json;
    }

    /** Parses the JSON spelling; throws {@link IllegalArgumentException} for anything else. */
    @JsonCreator
    public static Level of(String text) {
        for (Level level : values()) {
            if (level.json.equals(text)) {
                return level;
            }
        }
        throw new IllegalArgumentException("level must be 'supported' or 'required', not '" + text + "'");
    }
}
