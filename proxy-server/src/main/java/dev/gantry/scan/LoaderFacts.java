package dev.gantry.scan;

import dev.gantry.scan.elf.ElfLinks;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/**
 * Makes the {@link LoaderFinding} of a file while its layer is read: an ELF
 * file's loader facts with {@code $ORIGIN} expanded, a script's {@code #!}
 * line and (for a shell script) the commands it runs, a loader configuration
 * file's directories. Bounded: a script gives at most {@value #MAX_RUNS}
 * commands of {@value #MAX_TEXT} characters, a configuration file at most
 * {@value #MAX_DIRS} lines.
 */
final class LoaderFacts {
    static final int MAX_RUNS = 16;
    static final int MAX_TEXT = 512;
    static final int MAX_DIRS = 64;
    /** Linux reads at most this much of a {@code #!} line (BINPRM_BUF_SIZE). */
    static final int SHEBANG = 256;
    private static final Set<String> SHELLS = Set.of("sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "busybox");

    private LoaderFacts() {
    }

    /** Whether the path is one of the dynamic loader's configuration files. */
    static boolean isLdConfig(String path) {
        return path.equals("/etc/ld.so.conf")
                || (path.startsWith("/etc/ld.so.conf.d/") && path.endsWith(".conf") && path.indexOf('/', 18) < 0);
    }

    /** Whether the first bytes start a {@code #!} line. */
    static boolean isScript(byte[] head, int length) {
        return length >= 3 && head[0] == '#' && head[1] == '!';
    }

    static LoaderFinding elf(String path, String arch, ElfLinks links) {
        String dir = LayerPaths.parent(path);
        return new LoaderFinding(path, arch, links.interpreter(), null, links.soname(), links.needed(),
                origin(links.rpath(), dir), origin(links.runpath(), dir), null, null);
    }

    /**
     * A script's interpreter line and, for a shell script read whole, its commands (none for one longer than
     * what was read: its last lines, often the {@code exec}, are unknown, so no command may pass for all it runs);
     * null when the {@code #!} line is empty.
     */
    static LoaderFinding script(String path, byte[] buf, int length, boolean whole) {
        int end = 2;
        while (end < Math.min(length, SHEBANG) && buf[end] != '\n') {
            end++;
        }
        String line = new String(buf, 2, end - 2, StandardCharsets.UTF_8).strip();
        if (line.isEmpty()) {
            return null;
        }
        int space = indexOfBlank(line);
        String interpreter = space < 0 ? line : line.substring(0, space);
        String arg = space < 0 ? null : line.substring(space + 1).strip();
        arg = arg == null || arg.isEmpty() ? null : arg;
        String name = interpreter.substring(interpreter.lastIndexOf('/') + 1);
        List<String> runs = null;
        if (whole && (SHELLS.contains(name) || (name.equals("env") && arg != null && SHELLS.contains(arg)))) {
            String text = new String(buf, end, length - end, StandardCharsets.UTF_8);
            runs = runs(text);
        }
        return new LoaderFinding(path, null, interpreter, arg, null, null, null, null, runs, null);
    }

    /** The directory and {@code include} lines of {@code ld.so.conf} or a file it includes. */
    static LoaderFinding ldConfig(String path, byte[] buf, int length) {
        List<String> dirs = new ArrayList<>();
        for (String line : new String(buf, 0, length, StandardCharsets.UTF_8).split("\n")) {
            int hash = line.indexOf('#');
            String l = (hash < 0 ? line : line.substring(0, hash)).strip();
            if (!l.isEmpty() && l.length() <= MAX_TEXT && dirs.size() < MAX_DIRS) {
                dirs.add(l);
            }
        }
        return new LoaderFinding(path, null, null, null, null, null, null, null, null, dirs);
    }

    /** The bytes a finding costs the heap, roughly: what {@link ScanMemory} is charged. */
    static long cost(LoaderFinding f) {
        long n = 64 + 2L * f.path().length();
        for (List<String> l : List.of(f.needed(), f.rpath(), f.runpath(), f.runs(), f.libraryDirs())) {
            for (String s : l) {
                n += 48 + 2L * s.length();
            }
        }
        for (String s : new String[] {f.interpreter(), f.interpreterArg(), f.soname()}) {
            n += s == null ? 0 : 48 + 2L * s.length();
        }
        return 2 * n;
    }

    /**
     * The commands that start a program, most telling first ({@code exec}, then {@code "$@"}, then absolute
     * paths, then the rest in order), at most {@link #MAX_RUNS}.
     */
    private static List<String> runs(String text) {
        List<ShellCommands.Command> all = new ArrayList<>(ShellCommands.commands(text));
        all.sort(Comparator.comparingInt(LoaderFacts::rank));
        List<String> out = new ArrayList<>();
        for (ShellCommands.Command c : all) {
            String t = c.text();
            if (out.size() < MAX_RUNS && t.length() <= MAX_TEXT && !out.contains(t)) {
                out.add(t);
            }
        }
        return out;
    }

    private static int rank(ShellCommands.Command c) {
        return c.exec() ? 0 : ShellCommands.ALL_ARGS.contains(c.program()) ? 1 : c.program().startsWith("/") ? 2 : 3;
    }

    private static List<String> origin(List<String> dirs, String dir) {
        List<String> out = new ArrayList<>(dirs.size());
        for (String d : dirs) {
            String e = d.replace("${ORIGIN}", dir).replace("$ORIGIN", dir);
            out.add(e.startsWith("/") ? normalise(e) : e);
        }
        return out;
    }

    /** An absolute path with {@code .} and {@code ..} resolved lexically (as the loader does for search dirs). */
    static String normalise(String path) {
        List<String> parts = new ArrayList<>();
        for (String p : path.split("/")) {
            if (p.isEmpty() || p.equals(".")) {
                continue;
            }
            if (p.equals("..")) {
                if (!parts.isEmpty()) {
                    parts.remove(parts.size() - 1);
                }
            } else {
                parts.add(p);
            }
        }
        return "/" + String.join("/", parts);
    }

    private static int indexOfBlank(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == ' ' || s.charAt(i) == '\t') {
                return i;
            }
        }
        return -1;
    }
}
