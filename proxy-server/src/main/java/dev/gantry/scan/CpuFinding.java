package dev.gantry.scan;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/**
 * The non-baseline CPU features one ELF file of a layer uses.
 *
 * @param path absolute path in the layer
 * @param arch {@code x86_64} or {@code aarch64}
 * @param required features used without run-time dispatch (or always required, such as sgx),
 *     plus those of {@code level}
 * @param supported features used behind run-time dispatch
 * @param level the x86-64 level (2..4) the file declares it needs ({@code ISA_1_NEEDED} note or
 *     {@code GOAMD64}), 0 when none
 * @param levelSource {@code isa-needed} or {@code goamd64} when {@code level} is set
 * @param dispatch the dispatch evidence that made features supported, or null
 * @param firstUse file offset of the first instruction of each required feature
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record CpuFinding(String path, String arch, List<String> required, List<String> supported, int level,
        String levelSource, String dispatch, Map<String, Long> firstUse) {
    public CpuFinding {
        requireNonNull(path, "path");
        requireNonNull(arch, "arch");
        required = required == null ? List.of() : List.copyOf(required);
        supported = supported == null ? List.of() : List.copyOf(supported);
        firstUse = firstUse == null ? Map.of() : Map.copyOf(firstUse);
    }
}
