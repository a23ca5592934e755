package dev.gantry.schema;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * A requirement the image states, e.g. {@code NVIDIA_REQUIRE_CUDA}. The raw
 * {@code expression} is kept; {@code anyOf} lists its alternatives, each a
 * list of terms (such as {@code cuda>=12.2}) that must all hold.
 */
public record Constraint(String name, String expression, List<List<String>> anyOf) {
    public Constraint {
        requireNonNull(name, "name");
        requireNonNull(expression, "expression");
        anyOf = anyOf == null ? List.of() : anyOf.stream().map(List::copyOf).toList();
    }
}
