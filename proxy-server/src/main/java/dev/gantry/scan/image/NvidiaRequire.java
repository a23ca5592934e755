package dev.gantry.scan.image;

import dev.gantry.schema.Constraint;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The NVIDIA container runtime's requirement grammar: in
 * {@code NVIDIA_REQUIRE_*} values, whitespace separates alternatives (any
 * may hold) and commas separate the terms of one alternative (all must hold),
 * each term {@code property op value} with properties {@code cuda},
 * {@code driver}, {@code arch}, {@code brand}. {@code CUDA_VERSION=12.2.0}
 * without {@code NVIDIA_REQUIRE_CUDA} stands for {@code cuda>=12.2}.
 */
public final class NvidiaRequire {
    private static final Pattern TERM = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*\\s*(>=|<=|==|!=|=|<|>)\\s*\\S+");
    private static final Pattern VERSION = Pattern.compile("(\\d+)\\.(\\d+).*");

    private NvidiaRequire() {
    }

    /** Parses a requirement expression; terms that do not look like {@code prop op value} are kept verbatim. */
    public static Constraint parse(String name, String expression) {
        List<List<String>> anyOf = new ArrayList<>();
        for (String alternative : expression.trim().split("\\s+")) {
            List<String> all = new ArrayList<>();
            for (String term : alternative.split(",")) {
                String t = term.trim();
                if (!t.isEmpty()) {
                    all.add(TERM.matcher(t).matches() ? t.replaceAll("\\s+", "") : t);
                }
            }
            if (!all.isEmpty()) {
                anyOf.add(all);
            }
        }
        return new Constraint(name, expression, anyOf);
    }

    /** The constraint a {@code CUDA_VERSION} value implies, or null when it is not a version. */
    public static Constraint fromCudaVersion(String value) {
        Matcher m = VERSION.matcher(value.trim());
        if (!m.matches()) {
            return null;
        }
        String term = "cuda>=" + Integer.parseInt(m.group(1)) + "." + Integer.parseInt(m.group(2));
        return new Constraint("CUDA_VERSION", value, List.of(List.of(term)));
    }

    /** Whether {@code NVIDIA_DISABLE_REQUIRE} is set to a true value (as Go's strconv.ParseBool reads it). */
    public static boolean disabled(String value) {
        if (value == null) {
            return false;
        }
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "1", "t", "true" -> true;
            default -> false;
        };
    }
}
