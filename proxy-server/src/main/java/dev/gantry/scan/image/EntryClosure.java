package dev.gantry.scan.image;

import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the image's entry point runs and loads, as {@link EntryFollower}
 * found it: the programs its command line runs (wrappers, interpreters and
 * the programs they start), every file the dynamic loader maps for them, and
 * the commands of the shell scripts on the way. When the command line could
 * not be followed ({@link #conservative()}), every file counts as loaded, as
 * before there was a closure, and {@link #unresolved()} says why.
 */
final class EntryClosure {
    /** How a file relates to the entry point. */
    enum Scope {
        /** A program the command line runs (the entry point, a wrapper, an interpreter). */
        RUNS,
        /** Mapped by the loader for a program that runs. */
        LOADED,
        /** A {@code glibc-hwcaps} copy of a loaded library: the loader maps it instead on CPUs that have the level. */
        HWCAPS_VARIANT,
        /** Not loaded at start-up: a test program, a plugin, another package's library. */
        NOT_LOADED,
        /** Unknown: the entry point was not followed, so the file counts as loaded. */
        UNKNOWN
    }

    /** A command of a shell script the entry point runs, for command-line rules. */
    record ScriptCommand(String script, String text) {
    }

    private static final Pattern HWCAPS = Pattern.compile("(.*)/glibc-hwcaps/[^/]+/([^/]+)");

    private final List<String> programs;
    private final Map<String, String> loaded;
    private final List<ScriptCommand> scriptCommands;
    private final String unresolved;

    EntryClosure(List<String> programs, Map<String, String> loaded, List<ScriptCommand> scriptCommands,
            String unresolved) {
        this.programs = List.copyOf(programs);
        this.loaded = Map.copyOf(loaded);
        this.scriptCommands = List.copyOf(scriptCommands);
        this.unresolved = unresolved;
    }

    /** Whether the entry point could not be followed, so every file counts. */
    boolean conservative() {
        return unresolved != null;
    }

    /** Why the entry point could not be followed, or null. */
    String unresolved() {
        return unresolved;
    }

    /** The programs the command line runs, in the order they start. */
    List<String> programs() {
        return programs;
    }

    /** How many files the loader maps for them. */
    int loadedCount() {
        return loaded.size();
    }

    List<ScriptCommand> scriptCommands() {
        return scriptCommands;
    }

    /** The programs as one phrase for evidence: {@code /docker-entrypoint.sh → /usr/sbin/nginx}. */
    String entry() {
        return programs.isEmpty() ? "none" : String.join(" → ", programs);
    }

    Scope scope(String path) {
        if (programs.contains(path)) {
            return Scope.RUNS;
        }
        if (loaded.containsKey(path)) {
            return Scope.LOADED;
        }
        if (conservative()) {
            return Scope.UNKNOWN;
        }
        Matcher m = HWCAPS.matcher(path);
        if (m.matches() && loaded.containsKey(m.group(1) + "/" + m.group(2))) {
            return Scope.HWCAPS_VARIANT;
        }
        return Scope.NOT_LOADED;
    }

    /** The file that made the loader map {@code path}, or null. */
    String loadedBy(String path) {
        return loaded.get(path);
    }
}
