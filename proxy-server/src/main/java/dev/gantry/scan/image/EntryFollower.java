package dev.gantry.scan.image;

import dev.gantry.scan.LoaderFinding;
import dev.gantry.scan.ShellCommands;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Follows an image's command line ({@code Entrypoint} + {@code Cmd}) to the
 * programs that really run, the way the kernel and a shell would: {@code PATH}
 * and symbolic links ({@link EntrypointResolver}), {@code #!} interpreters
 * (the kernel does no {@code PATH} lookup for them; {@code env} does), shells
 * given {@code -c} text or a script file (best effort: {@link ShellCommands}),
 * {@code "$@"} of a wrapper script, and exec wrappers such as {@code env},
 * {@code tini} or {@code gosu}. An interpreter such as python3, java or node
 * is itself the program that runs: its closure counts, the code it reads does
 * not. Every ELF program found goes to {@link LibrarySearch}.
 *
 * <p>When the program that does the work cannot be known — no command line,
 * a name not in the image, a program named through a variable, a shell script
 * whose commands cannot be read — the result is
 * {@linkplain EntryClosure#conservative() conservative}, with the reason.
 * Used once per document.
 */
final class EntryFollower {
    static final int MAX_STEPS = 32;
    private static final Set<String> SHELLS = Set.of("sh", "bash", "dash", "ash", "zsh", "ksh", "mksh");
    /** Programs that run the program named by their first later argument that is one. */
    private static final Set<String> WRAPPERS = Set.of("env", "nohup", "tini", "tini-static", "dumb-init", "gosu",
            "su-exec", "catatonit", "setpriv", "nice", "ionice", "taskset", "numactl", "stdbuf", "timeout", "chrt",
            "runuser", "setsid", "s6-setuidgid", "chpst", "xvfb-run");

    private final MergedFilesystem fs;
    private final EntrypointResolver resolver;
    private final String pathEnv;
    private final String workingDir;
    private final LibrarySearch search;
    private final List<String> programs = new ArrayList<>();
    private final List<EntryClosure.ScriptCommand> scriptCommands = new ArrayList<>();
    private String unresolved;
    private int steps;

    EntryFollower(MergedFilesystem fs, EntrypointResolver resolver, ImageConfig config) {
        this.fs = fs;
        this.resolver = resolver;
        this.pathEnv = config.env().get("PATH");
        this.workingDir = config.workingDir();
        this.search = new LibrarySearch(fs, resolver, config.env().get("LD_LIBRARY_PATH"));
    }

    /** Follows the command line; the result says what runs and what it loads, or why it could not tell. */
    EntryClosure follow(List<String> argv) {
        if (argv.isEmpty() || argv.get(0).isEmpty()) {
            unresolved = "the image has no Entrypoint or Cmd";
        } else {
            run(argv, null, true);
        }
        return new EntryClosure(programs, search.loaded(), scriptCommands, unresolved);
    }

    /** Sonames the programs need that the image lacks. */
    List<String> missing() {
        return search.missing();
    }

    /**
     * Runs {@code argv}; {@code from} is the script that runs it (null for the config). A program that cannot
     * be found makes the result conservative when {@code mustResolve}, else it is passed over.
     */
    private void run(List<String> argv, String from, boolean mustResolve) {
        if (unresolved != null) {
            return;
        }
        if (++steps > MAX_STEPS) {
            unresolved = "the command line starts more than " + MAX_STEPS + " programs through wrappers";
            return;
        }
        String word = argv.get(0);
        String by = from == null ? "" : " (run by " + from + ")";
        if (!ShellCommands.literal(word)) {
            if (mustResolve) {
                unresolved = "'" + word + "'" + by + " names its program through a variable";
            }
            return;
        }
        EntrypointResolver.Result r = resolver.resolve(word, pathEnv, workingDir);
        if (r.path() == null) {
            if (mustResolve) {
                unresolved = r.problem() + by;
            }
            return;
        }
        String path = r.path();
        if (programs.contains(path) && from != null) {
            return; // a script that runs the same program again adds nothing
        }
        programs.add(path);
        LoaderFinding f = fs.get(path).loader();
        if (f == null) {
            unresolved = path + by + " is neither an ELF program nor a script with a #! line";
        } else if (f.elf()) {
            search.load(path);
            afterProgram(path, argv);
        } else if (f.interpreter() == null) {
            unresolved = path + " has no #! interpreter";
        } else {
            if (!f.interpreter().startsWith("/")) {
                unresolved = path + "'s #! interpreter '" + f.interpreter() + "' is not an absolute path";
                return;
            }
            List<String> next = new ArrayList<>();
            next.add(f.interpreter());
            if (f.interpreterArg() != null) {
                next.add(f.interpreterArg());
            }
            next.add(path);
            next.addAll(argv.subList(1, argv.size()));
            run(next, path, true);
        }
    }

    /** What a program does with its arguments: a shell runs a script, a wrapper runs a program. */
    private void afterProgram(String path, List<String> argv) {
        String real = basename(path);
        String name = basename(argv.get(0));
        if (real.equals("busybox") && name.equals("busybox") && argv.size() > 1) {
            argv = argv.subList(1, argv.size()); // busybox sh -c ..., busybox env ...
            name = basename(argv.get(0));
        }
        // a multi-call binary (busybox behind /bin/sh) acts as the name it was invoked by
        if (SHELLS.contains(name) || SHELLS.contains(real)) {
            shell(argv);
        } else if (WRAPPERS.contains(name) || WRAPPERS.contains(real)) {
            for (int i = 1; i < argv.size(); i++) {
                String w = argv.get(i);
                if (w.startsWith("-") || w.indexOf('=') > 0) {
                    continue;
                }
                if (!ShellCommands.literal(w)) {
                    unresolved = path + " runs '" + w + "', which names its program through a variable";
                    return;
                }
                if (resolver.resolve(w, pathEnv, workingDir).path() != null) {
                    run(argv.subList(i, argv.size()), null, true);
                    return;
                }
            }
        }
    }

    private static String basename(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    /** {@code sh -c TEXT [$0 args...]}, {@code sh SCRIPT args...}, or an interactive shell. */
    private void shell(List<String> argv) {
        int i = 1;
        boolean command = false;
        while (i < argv.size() && argv.get(i).startsWith("-") && !argv.get(i).equals("-")) {
            String opt = argv.get(i++);
            if (opt.equals("--")) {
                break;
            }
            if (!opt.startsWith("--") && opt.indexOf('c') > 0) {
                command = true;
            }
            if (opt.equals("-o") || opt.equals("+o")) {
                i++;
            }
        }
        if (i >= argv.size()) {
            return; // an interactive shell: the shell is what runs
        }
        if (command) {
            List<String> args = i + 2 <= argv.size() ? argv.subList(i + 2, argv.size()) : List.of();
            List<String> texts = new ArrayList<>();
            for (ShellCommands.Command c : ShellCommands.commands(argv.get(i))) {
                texts.add(c.text());
            }
            commands("sh -c", texts, args, false);
            return;
        }
        String script = argv.get(i);
        EntrypointResolver.Result r = script.contains("/")
                ? resolver.follow(script.startsWith("/") ? script : (workingDir == null ? "/" : workingDir) + "/" + script)
                : resolver.resolve(script, pathEnv, workingDir);
        MergedFilesystem.Node node = r.path() == null ? null : fs.get(r.path());
        if (node == null || node.loader() == null || node.loader().elf()) {
            unresolved = "cannot tell what the shell script " + script + " runs (not a script Gantry read)";
            return;
        }
        if (!programs.contains(r.path())) {
            programs.add(r.path());
        }
        commands(r.path(), node.loader().runs(), argv.subList(i + 1, argv.size()), true);
    }

    /** Runs the commands of a script: its {@code exec} and {@code "$@"} must be followed, the others may be. */
    private void commands(String script, List<String> texts, List<String> args, boolean file) {
        if (texts.isEmpty()) {
            unresolved = "cannot tell what " + (file ? "the shell script " : "") + script + " runs";
            return;
        }
        for (String text : texts) {
            ShellCommands.Command c = ShellCommands.parse(text);
            if (c == null) {
                continue;
            }
            if (file) {
                scriptCommands.add(new EntryClosure.ScriptCommand(script, text));
            }
            List<String> words = new ArrayList<>();
            for (String w : c.words()) {
                if (ShellCommands.ALL_ARGS.contains(w)) {
                    words.addAll(args);
                } else {
                    words.add(w);
                }
            }
            boolean main = c.exec() || ShellCommands.ALL_ARGS.contains(c.program());
            if (!words.isEmpty()) {
                run(words, script, main);
            }
        }
    }
}
