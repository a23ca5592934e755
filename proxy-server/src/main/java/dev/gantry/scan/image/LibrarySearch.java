package dev.gantry.scan.image;

import dev.gantry.scan.LoaderFinding;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The files the dynamic loader maps when a program starts: its
 * {@code PT_INTERP} and the transitive {@code DT_NEEDED} closure, each soname
 * looked up as glibc's loader does, in the image's own filesystem:
 * {@code DT_RPATH} of the object and of the program (only when the object has
 * no {@code DT_RUNPATH}), {@code LD_LIBRARY_PATH} from the config,
 * {@code DT_RUNPATH}, the directories of {@code /etc/ld.so.conf} and the
 * files it includes, then the architecture's default directories. A
 * candidate of another machine is skipped, as the loader skips it. Not
 * modelled: {@code glibc-hwcaps} subdirectories (the loader's choice among
 * copies of one library), {@code dlopen}, and {@code LD_PRELOAD}.
 */
final class LibrarySearch {
    static final int MAX_FILES = 4096;
    static final int MAX_MISSING_NOTES = 5;
    private static final int MAX_INCLUDE_DEPTH = 4;
    /** Loader configuration files read at most (Debian's images have a handful). */
    static final int MAX_CONFIG_FILES = 256;
    /** {@code include} lines followed at most. */
    static final int MAX_INCLUDES = 1024;

    private final MergedFilesystem fs;
    private final EntrypointResolver resolver;
    private final List<String> libraryPath;
    private final List<String> configured = new ArrayList<>();
    /** Every file loaded, to the file that made the loader map it first (a program: itself). */
    private final Map<String, String> loadedBy = new LinkedHashMap<>();
    private final List<String> missing = new ArrayList<>();
    /** Loader configuration files read: each once, and no more than {@link #MAX_CONFIG_FILES}. */
    private final Set<String> configsRead = new HashSet<>();
    /** {@code include} lines followed so far, at most {@link #MAX_INCLUDES}. */
    private int includes;

    LibrarySearch(MergedFilesystem fs, EntrypointResolver resolver, String ldLibraryPath) {
        this.fs = fs;
        this.resolver = resolver;
        this.libraryPath = ldLibraryPath == null ? List.of() : List.of(ldLibraryPath.split("[:;]"));
        configFile("/etc/ld.so.conf", 0);
    }

    /** Adds a program (a resolved ELF file) and everything the loader maps for it. */
    void load(String program) {
        LoaderFinding exe = elf(program);
        if (exe == null || loadedBy.containsKey(program)) {
            return;
        }
        loadedBy.put(program, program);
        if (exe.interpreter() != null) {
            String interp = resolver.follow(exe.interpreter()).path();
            if (interp != null && elf(interp) != null) {
                add(interp, program, null);
            } else {
                missing.add(exe.interpreter() + " (the program interpreter of " + program + ")");
            }
        }
        Deque<String> todo = new ArrayDeque<>(List.of(program));
        while (!todo.isEmpty() && loadedBy.size() < MAX_FILES) {
            String objPath = todo.poll();
            LoaderFinding obj = elf(objPath);
            for (String soname : obj.needed()) {
                String found = find(soname, obj, exe);
                if (found == null) {
                    missing.add(soname + " (needed by " + objPath + ")");
                } else {
                    add(found, objPath, todo);
                }
            }
        }
    }

    private void add(String path, String by, Deque<String> todo) {
        if (loadedBy.putIfAbsent(path, by) == null && todo != null) {
            todo.add(path);
        }
    }

    /** Loaded file to the file that loaded it. */
    Map<String, String> loaded() {
        return loadedBy;
    }

    /** Sonames (and interpreters) not found in the image, with who needs them. */
    List<String> missing() {
        return missing;
    }

    private String find(String soname, LoaderFinding obj, LoaderFinding exe) {
        if (soname.contains("/")) {
            return candidate(soname.startsWith("/") ? soname : null, obj.arch());
        }
        List<String> dirs = new ArrayList<>();
        if (obj.runpath().isEmpty()) {
            dirs.addAll(obj.rpath());
            if (exe != obj && exe.runpath().isEmpty()) {
                dirs.addAll(exe.rpath());
            }
        }
        dirs.addAll(libraryPath);
        dirs.addAll(obj.runpath());
        dirs.addAll(configured);
        dirs.addAll(defaults(obj.arch()));
        for (String dir : dirs) {
            if (dir.startsWith("/")) {
                String found = candidate(dir.endsWith("/") ? dir + soname : dir + "/" + soname, obj.arch());
                if (found != null) {
                    return found;
                }
            }
        }
        return null;
    }

    private String candidate(String path, String arch) {
        if (path == null) {
            return null;
        }
        String real = resolver.follow(path).path();
        LoaderFinding f = real == null ? null : elf(real);
        return f != null && f.arch().equals(arch) ? real : null;
    }

    private LoaderFinding elf(String path) {
        MergedFilesystem.Node n = fs.get(path);
        return n != null && n.loader() != null && n.loader().elf() ? n.loader() : null;
    }

    /** The loader's built-in directories: Debian's multiarch ones first, then the traditional ones. */
    static List<String> defaults(String arch) {
        String triplet = switch (arch) {
            case "x86_64" -> "x86_64-linux-gnu";
            case "aarch64" -> "aarch64-linux-gnu";
            case "i386" -> "i386-linux-gnu";
            case "arm" -> "arm-linux-gnueabihf";
            default -> null;
        };
        List<String> out = new ArrayList<>();
        if (triplet != null) {
            out.add("/lib/" + triplet);
            out.add("/usr/lib/" + triplet);
        }
        out.addAll(List.of("/lib64", "/usr/lib64", "/lib", "/usr/lib", "/usr/local/lib"));
        return out;
    }

    /** Reads one loader configuration file of the image: directories, and {@code include} globs. */
    private void configFile(String path, int depth) {
        String real = resolver.follow(path).path();
        MergedFilesystem.Node n = real == null ? null : fs.get(real);
        if (n == null || n.loader() == null || depth > MAX_INCLUDE_DEPTH) {
            return;
        }
        // Each file once (what it adds is the same every time), and a bounded number of them: includes that fan
        // out (64 lines each including the whole directory again) would otherwise read files ~64^depth times.
        if (configsRead.size() >= MAX_CONFIG_FILES || !configsRead.add(real)) {
            return;
        }
        for (String line : n.loader().libraryDirs()) {
            if (line.startsWith("include") && line.length() > 7 && Character.isWhitespace(line.charAt(7))) {
                String glob = line.substring(8).strip();
                include(glob.startsWith("/") ? glob : "/etc/" + glob, depth + 1);
            } else if (!line.startsWith("hwcap")) {
                for (String dir : line.split("[\\s:,]+")) {
                    int eq = dir.indexOf('=');
                    String d = eq < 0 ? dir : dir.substring(0, eq);
                    if (d.startsWith("/") && !configured.contains(d)) {
                        configured.add(d);
                    }
                }
            }
        }
    }

    private void include(String glob, int depth) {
        if (++includes > MAX_INCLUDES) {
            return;
        }
        PathMatcher m;
        try {
            m = FileSystems.getDefault().getPathMatcher("glob:" + glob);
        } catch (IllegalArgumentException e) {
            return;
        }
        int slash = glob.lastIndexOf('/', firstWildcard(glob));
        String dir = slash <= 0 ? "/" : glob.substring(0, slash + 1);
        // files in glob order (sorted), as ldconfig reads them
        for (String p : fs.nodes().subMap(dir, true, dir + Character.MAX_VALUE, false).keySet()) {
            if (m.matches(Path.of(p))) {
                configFile(p, depth);
            }
        }
    }

    private static int firstWildcard(String glob) {
        for (int i = 0; i < glob.length(); i++) {
            if ("*?[{".indexOf(glob.charAt(i)) >= 0) {
                return i;
            }
        }
        return glob.length() - 1;
    }
}
