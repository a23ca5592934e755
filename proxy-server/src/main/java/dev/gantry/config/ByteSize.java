package dev.gantry.config;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A byte count written as {@code 512MiB}, {@code 20GiB}, {@code 4MB} or a plain number. */
public record ByteSize(long bytes) {

    private static final Pattern FORMAT = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([kmgt]i?b?|b)?");

    public ByteSize {
        if (bytes < 0) {
            throw new IllegalArgumentException("a size cannot be negative");
        }
    }

    /**
     * Parses a size. {@code KiB/MiB/GiB/TiB} are powers of 1024, {@code KB/MB/GB/TB}
     * powers of 1000; a bare {@code K/M/G/T} is read as the binary unit, as most
     * operators mean it.
     *
     * @throws IllegalArgumentException with the accepted forms
     */
    public static ByteSize parse(String text) {
        Matcher m = FORMAT.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("expected a size such as 512MiB, 20GiB or 1048576, got '" + text + "'");
        }
        double number = Double.parseDouble(m.group(1));
        String unit = m.group(2) == null ? "b" : m.group(2);
        boolean decimal = unit.length() == 2 && unit.endsWith("b") && unit.charAt(0) != 'b';
        int power = switch (unit.charAt(0)) {
            case 'k' -> 1;
            case 'm' -> 2;
            case 'g' -> 3;
            case 't' -> 4;
            default -> 0;
        };
        double value = number * Math.pow(decimal ? 1000 : 1024, power);
        if (value > Long.MAX_VALUE) {
            throw new IllegalArgumentException("size '" + text + "' is too large");
        }
        return new ByteSize((long) value);
    }

    public static ByteSize ofMebibytes(long mib) {
        return new ByteSize(mib * 1024 * 1024);
    }

    @Override
    public String toString() {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        long v = bytes;
        int i = 0;
        while (i < units.length - 1 && v != 0 && v % 1024 == 0) {
            v /= 1024;
            i++;
        }
        return v + units[i];
    }
}
