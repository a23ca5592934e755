package dev.gantry.scan.elf;

/** An ELF file is truncated or malformed where the analysis needed it to be whole. */
public final class ElfFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ElfFormatException(String message) {
        super(message, null, false, false); // thrown for bad input, so no stack trace to fill
    }
}
