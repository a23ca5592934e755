package dev.gantry.scan;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * What starting or loading one file of a layer involves, so the image
 * analyzer can follow the entry point to the files it really loads: for an
 * ELF file the dynamic loader's facts, for a script its {@code #!} line (and,
 * for a shell script, the commands it runs), for {@code /etc/ld.so.conf} and
 * {@code /etc/ld.so.conf.d/*.conf} their directories.
 *
 * @param path absolute path in the layer
 * @param arch for an ELF file its machine ({@code uname -m} spelling: {@code x86_64}, {@code aarch64},
 *     {@code i386}...), else null
 * @param interpreter {@code PT_INTERP}, or the program of a {@code #!} line, or null
 * @param interpreterArg the optional argument of a {@code #!} line (one word, as Linux passes it), or null
 * @param soname {@code DT_SONAME}, or null
 * @param needed {@code DT_NEEDED} sonames
 * @param rpath {@code DT_RPATH} directories, {@code $ORIGIN} expanded to the file's directory
 * @param runpath {@code DT_RUNPATH} directories, {@code $ORIGIN} expanded
 * @param runs for a shell script: the simple commands it runs that name a program (an {@code exec},
 *     an absolute path, {@code "$@"}, or a program looked up in {@code PATH}), as written, bounded
 * @param libraryDirs for a loader configuration file: its directories and {@code include} lines, as written
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record LoaderFinding(String path, String arch, String interpreter, String interpreterArg, String soname,
        List<String> needed, List<String> rpath, List<String> runpath, List<String> runs,
        List<String> libraryDirs) {
    public LoaderFinding {
        requireNonNull(path, "path");
        needed = copy(needed);
        rpath = copy(rpath);
        runpath = copy(runpath);
        runs = copy(runs);
        libraryDirs = copy(libraryDirs);
    }

    private static List<String> copy(List<String> list) {
        return list == null ? List.of() : List.copyOf(list);
    }

    /** Whether this is an ELF file (as opposed to a script or a loader configuration file). */
    @JsonIgnore
    public boolean elf() {
        return arch != null;
    }
}
