package dev.gantry.scan.image;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * Finds the file a container's {@code argv[0]} runs, within the merged
 * filesystem view: a name without {@code /} is looked up in {@code PATH}
 * (the config's, else the engines' default), a relative path against
 * {@code WorkingDir}, and symbolic links are followed component by component
 * — relative targets against their directory, absolute ones against the
 * image root — up to 40 links, as Linux does, so a link loop ends with a
 * reason instead of hanging.
 */
public final class EntrypointResolver {

    /** Linux's PATH_MAX: the longest symbolic link target a file system holds. */
    private static final int MAX_TARGET = 4096;
    /** Linux's MAXSYMLINKS. */
    public static final int MAX_LINKS = 40;
    static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /** The outcome: the resolved path (null when not found) and, when not found, why. */
    public record Result(String path, String problem) {
    }

    private final MergedFilesystem fs;

    public EntrypointResolver(MergedFilesystem fs) {
        this.fs = fs;
    }

    /** Resolves {@code argv0} as the engine would exec it. */
    public Result resolve(String argv0, String pathEnv, String workingDir) {
        if (argv0 == null || argv0.isEmpty()) {
            return new Result(null, "the image has no Entrypoint or Cmd");
        }
        if (argv0.contains("/")) {
            String start = argv0.startsWith("/") ? argv0 : join(workingDir == null ? "/" : workingDir, argv0);
            return resolvePath(start);
        }
        String loopProblem = null;
        for (String dir : (pathEnv == null ? DEFAULT_PATH : pathEnv).split(":")) {
            if (dir.isEmpty() || !dir.startsWith("/")) {
                continue;
            }
            Result r = resolvePath(join(dir, argv0));
            if (r.path() != null) {
                return r;
            }
            if (r.problem() != null && r.problem().contains("symbolic links")) {
                loopProblem = r.problem();
            }
        }
        return new Result(null, loopProblem != null ? loopProblem
                : "'" + argv0 + "' is not an executable known in any PATH directory");
    }

    /** Follows links in every component of an absolute path to an executable file. */
    public Result resolvePath(String path) {
        Result r = follow(path);
        if (r.path() == null) {
            return r;
        }
        MergedFilesystem.Node node = fs.get(r.path());
        if (node == null || !node.executable()) {
            return new Result(null, (r.path().isEmpty() ? "/" : r.path()) + " is not an executable known in the image");
        }
        return r;
    }

    /**
     * Follows links in every component of an absolute path: the path of what it names (which need not
     * exist), or null with the reason when the links loop.
     */
    public Result follow(String path) {
        Deque<String> todo = new ArrayDeque<>(List.of(components(path)));
        String current = "";
        int links = 0;
        while (!todo.isEmpty()) {
            String part = todo.pollFirst();
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                int slash = current.lastIndexOf('/');
                current = slash <= 0 ? "" : current.substring(0, slash);
                continue;
            }
            String next = current + "/" + part;
            MergedFilesystem.Node node = fs.get(next);
            if (node != null && node.symlink() != null) {
                if (++links > MAX_LINKS) {
                    return new Result(null, "more than " + MAX_LINKS + " symbolic links resolving " + path
                            + " (a link loop?)");
                }
                String target = node.symlink();
                if (target.length() > MAX_TARGET) {
                    // Findings stored before such targets were refused at scan time: never split one.
                    return new Result(null, "a symbolic link resolving " + path + " has a target longer than " + MAX_TARGET
                            + " bytes");
                }
                String[] parts = components(target);
                for (int i = parts.length - 1; i >= 0; i--) {
                    todo.addFirst(parts[i]);
                }
                if (target.startsWith("/")) {
                    current = "";
                }
                continue;
            }
            if (node != null && node.hardlink() != null && todo.isEmpty()) {
                next = node.hardlink();
                node = fs.get(next);
            }
            current = next;
        }
        return new Result(current.isEmpty() ? "/" : current, null);
    }

    private static String[] components(String path) {
        return path.split("/");
    }

    private static String join(String dir, String name) {
        return dir.endsWith("/") ? dir + name : dir + "/" + name;
    }
}
