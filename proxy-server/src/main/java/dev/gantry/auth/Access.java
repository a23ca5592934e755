package dev.gantry.auth;

import java.util.Set;

/**
 * One grant: a repository (by full name, as access rules see it) and the
 * actions on it, as a token carries them ({@code repository:<name>:pull,push}).
 */
public record Access(String type, String name, Set<String> actions) {

    public static final String PULL = "pull";
    public static final String PUSH = "push";
    public static final String DELETE = "delete";
    /** The admin API: list, evict, pin, warm. Only a rule grants it; {@code *} in a scope does not. */
    public static final String ADMIN = "admin";

    public Access {
        actions = Set.copyOf(actions);
    }

    /** Parses a scope {@code type:name:actions}; the name may itself contain colons. */
    public static Access parseScope(String scope) {
        int first = scope.indexOf(':');
        int last = scope.lastIndexOf(':');
        if (first <= 0 || last <= first) {
            throw new IllegalArgumentException("not a scope: " + scope);
        }
        Set<String> actions = Set.of(scope.substring(last + 1).split(","));
        return new Access(scope.substring(0, first), scope.substring(first + 1, last), actions);
    }

    public boolean allows(String action) {
        return actions.contains(action) || (actions.contains("*") && !ADMIN.equals(action));
    }
}
