package dev.gantry.scan.kb;

import java.util.regex.Pattern;

/**
 * A shell-style glob: {@code *} and {@code ?} within a path component,
 * {@code **} across components, {@code [...]} classes ({@code [!...]}
 * negates), {@code {a,b}} alternatives. A glob without {@code /} matches a
 * file name; one with {@code /} matches an absolute path. Immutable.
 */
public final class Glob {
    private final String text;
    private final Pattern pattern;
    private final boolean basename;
    private final String literalPrefix;
    private final String literalSuffix;

    private Glob(String text, Pattern pattern, boolean basename, String literalPrefix, String literalSuffix) {
        this.text = text;
        this.pattern = pattern;
        this.basename = basename;
        this.literalPrefix = literalPrefix;
        this.literalSuffix = literalSuffix;
    }

    /**
     * Compiles a glob.
     *
     * @throws IllegalArgumentException for an unbalanced {@code [} or {@code {}
     */
    public static Glob compile(String glob) {
        if (glob == null || glob.isEmpty()) {
            throw new IllegalArgumentException("empty glob");
        }
        boolean basename = glob.indexOf('/') < 0;
        StringBuilder re = new StringBuilder();
        int braces = 0;
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            switch (c) {
                case '*' -> {
                    if (i + 1 < glob.length() && glob.charAt(i + 1) == '*') {
                        boolean slash = i + 2 < glob.length() && glob.charAt(i + 2) == '/';
                        re.append(slash ? "(?:.*/)?" : ".*");
                        i += slash ? 2 : 1;
                    } else {
                        re.append("[^/]*");
                    }
                }
                case '?' -> re.append("[^/]");
                case '[' -> {
                    int close = glob.indexOf(']', i + 2);
                    if (close < 0) {
                        throw new IllegalArgumentException("unclosed [ in glob: " + glob);
                    }
                    String body = glob.substring(i + 1, close);
                    if (body.startsWith("!")) {
                        body = "^" + body.substring(1);
                    }
                    re.append('[').append(body.replace("\\", "\\\\").replace("[", "\\[")).append(']');
                    i = close;
                }
                case '{' -> {
                    braces++;
                    re.append("(?:");
                }
                case '}' -> {
                    if (braces == 0) {
                        throw new IllegalArgumentException("unbalanced } in glob: " + glob);
                    }
                    braces--;
                    re.append(')');
                }
                case ',' -> re.append(braces > 0 ? "|" : ",");
                default -> re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        if (braces != 0) {
            throw new IllegalArgumentException("unclosed { in glob: " + glob);
        }
        String name = basename ? glob : glob.substring(glob.lastIndexOf('/') + 1);
        return new Glob(glob, Pattern.compile(re.toString(), Pattern.DOTALL), basename,
                literalPrefix(name), literalSuffix(name));
    }

    private static boolean special(char c) {
        return c == '*' || c == '?' || c == '[' || c == '{';
    }

    private static String literalPrefix(String name) {
        int i = 0;
        while (i < name.length() && !special(name.charAt(i))) {
            i++;
        }
        return name.substring(0, i);
    }

    private static String literalSuffix(String name) {
        int i = name.length();
        while (i > 0 && !special(name.charAt(i - 1)) && name.charAt(i - 1) != '}' && name.charAt(i - 1) != ']') {
            i--;
        }
        return name.substring(i);
    }

    /** Whether the glob matches {@code path} (an absolute path) or, for a file-name glob, its file name. */
    public boolean matchesPath(String path) {
        if (basename) {
            return matchesName(path.substring(path.lastIndexOf('/') + 1));
        }
        return pattern.matcher(path).matches();
    }

    /** Whether the glob matches {@code text} as a whole (a name, a soname, an environment variable name). */
    public boolean matchesName(String name) {
        // the literal prefix is the file name's, so it only applies to a whole text for file-name globs
        if ((basename && !name.startsWith(literalPrefix)) || !name.endsWith(literalSuffix)) {
            return false;
        }
        return pattern.matcher(name).matches();
    }

    /** Whether this glob matches file names rather than paths. */
    public boolean isBasename() {
        return basename;
    }

    /** The literal characters the matched file name must start with (may be empty). */
    String literalPrefix() {
        return literalPrefix;
    }

    /** The literal characters the matched file name must end with (may be empty). */
    String literalSuffix() {
        return literalSuffix;
    }

    @Override
    public String toString() {
        return text;
    }
}
