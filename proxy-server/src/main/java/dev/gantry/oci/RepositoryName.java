package dev.gantry.oci;

import java.util.List;
import java.util.regex.Pattern;

/**
 * A repository name as the distribution spec defines it: path components of
 * lower-case alphanumerics joined by {@code .}, {@code _}, {@code __} or runs of
 * {@code -}, separated by {@code /}, at most 255 characters in all.
 *
 * <p>The grammar admits no {@code ..}, no empty component, no percent sign and
 * no upper case, so a valid name is safe to use as a relative storage path.
 */
public final class RepositoryName {

    /** The distribution spec's limit for the whole name. */
    public static final int MAX_LENGTH = 255;

    /** The grammar of one component, as the spec writes it; {@link #valid} implements it. */
    static final Pattern COMPONENT = Pattern.compile("[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*");

    private final String value;

    private RepositoryName(String value) {
        this.value = value;
    }

    /**
     * Parses and validates a repository name.
     *
     * @throws RegistryException {@code NAME_INVALID} with the rule that failed
     */
    public static RepositoryName of(String text) {
        if (text == null || text.isEmpty()) {
            throw new RegistryException(ErrorCode.NAME_INVALID, "repository name is empty");
        }
        if (text.length() > MAX_LENGTH) {
            throw new RegistryException(ErrorCode.NAME_INVALID,
                    "repository name is " + text.length() + " characters; the limit is " + MAX_LENGTH);
        }
        if (!valid(text)) {
            throw new RegistryException(ErrorCode.NAME_INVALID, "invalid repository name '"
                    + Digest.printable(text) + "': each path component must match "
                    + "[a-z0-9]+((.|_|__|-+)[a-z0-9]+)*");
        }
        return new RepositoryName(text);
    }

    /**
     * The grammar above, one pass over the characters (a name is parsed on
     * every request; splitting it and matching each component was a visible
     * share of a cache hit's CPU). RepositoryNameTest checks it against the
     * regular expression.
     */
    static boolean valid(String text) {
        int i = 0;
        int n = text.length();
        while (true) {
            // A component: alphanumerics, then any number of (separator, alphanumerics).
            if (i == n || !alnum(text.charAt(i))) {
                return false;
            }
            while (i < n && alnum(text.charAt(i))) {
                i++;
            }
            while (i < n && text.charAt(i) != '/') {
                char c = text.charAt(i);
                if (c == '.') {
                    i++;
                } else if (c == '_') {
                    i += i + 1 < n && text.charAt(i + 1) == '_' ? 2 : 1;
                } else if (c == '-') {
                    while (i < n && text.charAt(i) == '-') {
                        i++;
                    }
                } else {
                    return false;
                }
                if (i == n || !alnum(text.charAt(i))) {
                    return false;
                }
                while (i < n && alnum(text.charAt(i))) {
                    i++;
                }
            }
            if (i == n) {
                return true;
            }
            i++; // the slash: another component must follow
        }
    }

    private static boolean alnum(char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    }

    /** The path components, first to last. */
    public List<String> components() {
        return List.of(value.split("/"));
    }

    /** Number of path components. */
    public int depth() {
        return (int) value.chars().filter(c -> c == '/').count() + 1;
    }

    /** This name with {@code prefix/} in front, validated again (the length limit applies to the result). */
    public RepositoryName withPrefix(String prefix) {
        return of(prefix + "/" + value);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RepositoryName r && value.equals(r.value);
    }

    @Override
    public int hashCode() {
        return value.hashCode();
    }

    @Override
    public String toString() {
        return value;
    }
}
