package dev.gantry.scan;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A best-effort reading of shell scripts ({@code sh -c} text, wrapper
 * scripts): which simple commands run a program, and with which words. Not a
 * shell: it splits on unquoted {@code ; & | ( ) `} and newlines, removes
 * quotes, drops comments, here-document bodies, keywords, variable
 * assignments, redirections and builtins, and keeps {@code exec}. A word with
 * an expansion other than {@code "$@"} stays as written (it contains
 * {@code $}), so a caller can tell it cannot follow it.
 */
public final class ShellCommands {
    /** One simple command: whether it is an {@code exec}, and its words, the program first. */
    public record Command(boolean exec, List<String> words) {
        public Command {
            words = List.copyOf(words);
        }

        public String program() {
            return words.get(0);
        }

        /** The command as shell text that {@link #parse} reads back to the same command. */
        public String text() {
            StringBuilder out = new StringBuilder(exec ? "exec" : "");
            for (String w : words) {
                if (out.length() > 0) {
                    out.append(' ');
                }
                out.append(w.isEmpty() || w.chars().anyMatch(c -> " \t\n'\"\\;&|()`<>#".indexOf(c) >= 0)
                        ? "'" + w.replace("'", "'\\''") + "'" : w);
            }
            return out.toString();
        }
    }

    /** The arguments of the script ({@code "$@"}, {@code $*}), after quote removal. */
    public static final Set<String> ALL_ARGS = Set.of("$@", "${@}", "$*", "${*}");

    private static final Set<String> KEYWORDS = Set.of("if", "then", "else", "elif", "do", "while", "until", "!",
            "{", "}", "time", "command", "builtin", "nohup");
    private static final Set<String> SKIP = Set.of("fi", "done", "esac", "for", "case", "in", "function", "select",
            ":", ".", "source", "[", "[[", "test", "echo", "printf", "set", "unset", "export", "local", "readonly",
            "declare", "typeset", "shift", "cd", "pwd", "return", "exit", "trap", "wait", "eval", "read", "true",
            "false", "umask", "ulimit", "alias", "unalias", "break", "continue", "getopts", "type", "hash", "let",
            "shopt", "pushd", "popd", "kill", "jobs", "fg", "bg", "times", "}", ";;");

    private ShellCommands() {
    }

    /** The simple commands of a script that run a program, in order. */
    public static List<Command> commands(String script) {
        List<Command> out = new ArrayList<>();
        for (List<String> words : split(script)) {
            Command c = command(words);
            if (c != null) {
                out.add(c);
            }
        }
        return out;
    }

    /** One stored command ({@link Command#text()}) read back, or null when it names no program. */
    public static Command parse(String text) {
        List<Command> all = commands(text);
        return all.isEmpty() ? null : all.get(0);
    }

    /** Whether a word is a literal the shell passes as is (no expansion left in it). */
    public static boolean literal(String word) {
        return word.indexOf('$') < 0 && word.indexOf('`') < 0 && word.indexOf('*') < 0 && word.indexOf('?') < 0;
    }

    private static Command command(List<String> words) {
        int i = 0;
        boolean exec = false;
        while (i < words.size()) {
            String w = words.get(i);
            if (KEYWORDS.contains(w) || assignment(w)) {
                i++;
            } else if (w.equals("exec")) {
                exec = true;
                i++;
                while (i < words.size() && words.get(i).startsWith("-")) {
                    i += words.get(i).equals("-a") ? 2 : 1; // exec -a NAME, -c, -l
                }
            } else {
                break;
            }
        }
        List<String> rest = new ArrayList<>();
        for (; i < words.size(); i++) {
            String w = words.get(i);
            if (w.matches("[0-9]*(>>?|<<?|>&|<&|&>>?)")) {
                i++; // a redirection and its target
            } else if (!w.matches("[0-9]*(>>?|<|>&|<&|&>>?).+")) {
                rest.add(w);
            }
        }
        if (rest.isEmpty() || SKIP.contains(rest.get(0))) {
            return null;
        }
        return new Command(exec, rest);
    }

    private static boolean assignment(String w) {
        int eq = w.indexOf('=');
        return eq > 0 && w.substring(0, eq).matches("[A-Za-z_][A-Za-z0-9_]*");
    }

    /** Splits the text into commands of words: quotes removed, comments and here-documents dropped. */
    static List<List<String>> split(String text) {
        List<List<String>> commands = new ArrayList<>();
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean inWord = false;
        List<String> heredocs = new ArrayList<>();
        int n = text.length();
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            if (c == '\\' && i + 1 < n) {
                if (text.charAt(i + 1) != '\n') {
                    word.append(text.charAt(i + 1));
                    inWord = true;
                }
                i++;
            } else if (c == '\'' || c == '"') {
                int end = text.indexOf(c, i + 1);
                end = end < 0 ? n : end;
                word.append(text, i + 1, end);
                inWord = true;
                i = end;
            } else if (c == '#' && !inWord) {
                int end = text.indexOf('\n', i);
                i = (end < 0 ? n : end) - 1;
            } else if (c == ' ' || c == '\t') {
                inWord = flush(word, inWord, words, heredocs);
            } else if (c == '&' && (redirection(text, i) || (i + 1 < n && text.charAt(i + 1) == '>'))) {
                word.append(c); // 2>&1, &>file: part of a redirection, not a separator
                inWord = true;
            } else if (c == '\n' || ";&|()`".indexOf(c) >= 0) {
                inWord = flush(word, inWord, words, heredocs);
                if (!words.isEmpty()) {
                    commands.add(words);
                    words = new ArrayList<>();
                }
                if (c == '\n' && !heredocs.isEmpty()) {
                    i = skipHeredocs(text, i + 1, heredocs) - 1;
                }
            } else {
                word.append(c);
                inWord = true;
            }
        }
        flush(word, inWord, words, heredocs);
        if (!words.isEmpty()) {
            commands.add(words);
        }
        return commands;
    }

    private static boolean redirection(String text, int ampersand) {
        return ampersand > 0 && (text.charAt(ampersand - 1) == '>' || text.charAt(ampersand - 1) == '<');
    }

    private static boolean flush(StringBuilder word, boolean inWord, List<String> words, List<String> heredocs) {
        if (inWord) {
            String w = word.toString();
            String previous = words.isEmpty() ? "" : words.get(words.size() - 1);
            if (previous.equals("<<") || previous.equals("<<-")) {
                heredocs.add(w);
            } else if (w.startsWith("<<") && w.length() > 2 && !w.startsWith("<<<")) {
                heredocs.add(w.substring(w.startsWith("<<-") ? 3 : 2));
            }
            words.add(w);
            word.setLength(0);
        }
        return false;
    }

    /** The index after the bodies of the pending here-documents, which start at {@code from}. */
    private static int skipHeredocs(String text, int from, List<String> delimiters) {
        int i = from;
        for (String delimiter : delimiters) {
            while (i < text.length()) {
                int end = text.indexOf('\n', i);
                end = end < 0 ? text.length() : end;
                String line = text.substring(i, end).strip();
                i = end + 1;
                if (line.equals(delimiter)) {
                    break;
                }
            }
        }
        delimiters.clear();
        return Math.min(i, text.length());
    }
}
