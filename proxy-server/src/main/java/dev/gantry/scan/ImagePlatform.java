package dev.gantry.scan;

import static java.util.Objects.requireNonNull;

/**
 * The OCI platform of one image manifest, as an index lists it
 * ({@code os}, {@code architecture}, optional {@code variant}).
 */
public record ImagePlatform(String os, String architecture, String variant) {
    public ImagePlatform {
        requireNonNull(os, "os");
        requireNonNull(architecture, "architecture");
    }

    /** Parses {@code os/arch[/variant]}, e.g. {@code linux/arm64/v8}. */
    public static ImagePlatform parse(String text) {
        String[] p = text.split("/");
        if (p.length < 2 || p.length > 3 || p[0].isEmpty() || p[1].isEmpty()) {
            throw new IllegalArgumentException("platform must be os/arch[/variant], not '" + text + "'");
        }
        return new ImagePlatform(p[0], p[1], p.length == 3 ? p[2] : null);
    }

    /** The architecture as {@code uname -m} names it (amd64 is x86_64, arm64 is aarch64). */
    public String unameArchitecture() {
        return switch (architecture) {
            case "amd64" -> "x86_64";
            case "arm64" -> "aarch64";
            case "386" -> "i386";
            case "arm" -> "arm";
            default -> architecture;
        };
    }

    @Override
    public String toString() {
        return os + "/" + architecture + (variant == null ? "" : "/" + variant);
    }
}
