package dev.gantry.scan.kb;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * A well-known CPU-feature query interface ({@code cpu.dispatch} in the knowledge base): symbols
 * whose presence in an ELF file — imported, or defined by the library that implements the
 * interface — means code of that file chooses instructions at run time through it.
 *
 * @param id short name, shown in evidence
 * @param symbols symbol names; a trailing {@code *} matches any name with that prefix (C++ and Rust
 *     mangled names)
 * @param selects what the interface selects: {@code caller} (a function that calls or reads it
 *     selects the functions it calls, jumps to and takes the address of), {@code referenced}
 *     (every function whose address the file takes is a candidate: the library fills tables of
 *     function pointers from flags passed around), {@code file} (a just-in-time compiler or
 *     equivalent: every instruction of the file that defines it is chosen at run time)
 * @param features with {@code selects: file}, the CPU features (flag names; a trailing {@code *}
 *     matches a prefix) whose instructions the library's dispatch chooses; instructions of other
 *     features stay under the per-function analysis. Empty: every feature
 */
public record DispatchApi(String id, String description, List<String> symbols, Selects selects,
        List<String> features) {
    /** What a dispatch interface selects; see {@link DispatchApi}. */
    public enum Selects {
        CALLER, REFERENCED, FILE
    }

    public DispatchApi {
        requireNonNull(id, "id");
        symbols = List.copyOf(symbols);
        requireNonNull(selects, "selects");
        features = List.copyOf(features);
    }

    /** An interface that covers every feature. */
    public DispatchApi(String id, String description, List<String> symbols, Selects selects) {
        this(id, description, symbols, selects, List.of());
    }

    /** Whether the dispatch covers instructions of the feature named {@code flag}. */
    public boolean covers(String flag) {
        if (features.isEmpty()) {
            return true;
        }
        for (String f : features) {
            if (f.endsWith("*") ? flag.startsWith(f.substring(0, f.length() - 1)) : flag.equals(f)) {
                return true;
            }
        }
        return false;
    }
}
