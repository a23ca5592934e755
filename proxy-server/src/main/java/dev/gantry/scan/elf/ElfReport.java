package dev.gantry.scan.elf;

import dev.gantry.scan.arm64.Arm64Feature;
import dev.gantry.scan.x86.X86Feature;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What {@link ElfAnalyzer} learnt about one ELF file.
 *
 * @param machine {@code e_machine}
 * @param is64 ELF class
 * @param program whether the file is a program (interpreter or static executable) rather than only a library
 * @param needed the {@code DT_NEEDED} sonames, in file order
 * @param sections the sections of interest (asked for by the caller) present in the file
 * @param properties the GNU property note
 * @param go Go build information, or null for a binary not built by Go 1.18+
 * @param x86Features the {@link X86Feature} mask of the instructions used and register
 *     states declared in {@code X86_FEATURE_2_USED}; 0 for other machines
 * @param arm64Features the {@link Arm64Feature} mask of the instructions used
 * @param dispatch what the run-time CPU checks of the file rest on (CPUID, XGETBV, IFUNC, IRELATIVE,
 *     CPU-probing imports and {@code cpu.dispatch} interfaces, ID-register reads), or null when there is none
 * @param firstUse feature flag name to the file offset of its first instruction in code no run-time
 *     check selects (only features of {@code unguarded})
 * @param instructionBytes the bytes of code disassembled
 * @param notes what could not be analysed and why
 * @param unguarded the features (same mask space as {@code x86Features} or {@code arm64Features}) of
 *     instructions in functions no run-time check selects: the file needs them ({@link Guards})
 */
public record ElfReport(
        int machine, boolean is64, boolean program, List<String> needed, Set<String> sections,
        GnuProperties properties, GoBuildInfo go, long x86Features, long arm64Features, String dispatch,
        Map<String, Long> firstUse, long instructionBytes, List<String> notes, long unguarded) {

    /** {@code uname -m} name of the machine, or {@code elf-machine-N}. */
    public String machineName() {
        return machineName(machine);
    }

    /** {@code uname -m} name of an {@code e_machine} value, or {@code elf-machine-N}. */
    public static String machineName(int machine) {
        return switch (machine) {
            case ElfFile.EM_X86_64 -> "x86_64";
            case ElfFile.EM_AARCH64 -> "aarch64";
            case ElfFile.EM_386 -> "i386";
            case ElfFile.EM_ARM -> "arm";
            default -> "elf-machine-" + machine;
        };
    }
}
