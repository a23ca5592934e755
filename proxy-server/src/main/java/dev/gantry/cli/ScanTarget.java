package dev.gantry.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What {@code gantry scan} is asked to read, written the way skopeo users
 * write it: {@code oci:DIR[:TAG]}, {@code dir:DIR}, {@code docker://REF}, a
 * plain reference ({@code alpine}, {@code ghcr.io/org/app:1}), or the path of
 * a directory holding either layout.
 *
 * @param layout the directory, for a local image; null for a registry image
 * @param tag    for {@code oci:DIR:TAG}, the tag in the layout's index; else null
 * @param remote for a registry image, the reference; else null
 */
record ScanTarget(Path layout, String tag, String remote) {

    /** Transports skopeo knows that a scan cannot read directly. */
    private static final List<String> UNSUPPORTED = List.of("oci-archive:", "docker-archive:", "docker-daemon:",
            "containers-storage:", "sif:", "tarball:");

    /** @throws IllegalArgumentException with a message saying what is accepted */
    static ScanTarget parse(String text) {
        if (text.startsWith("oci:")) {
            String rest = text.substring("oci:".length());
            if (!rest.isEmpty() && Files.isDirectory(Path.of(rest))) {
                return new ScanTarget(Path.of(rest), null, null);
            }
            int colon = rest.lastIndexOf(':');
            String dir = colon < 0 ? rest : rest.substring(0, colon);
            String tag = colon < 0 ? null : rest.substring(colon + 1);
            if (dir.isEmpty() || !Files.isDirectory(Path.of(dir))) {
                throw new IllegalArgumentException("'" + text + "': no OCI image layout directory '" + dir + "'");
            }
            return new ScanTarget(Path.of(dir), tag == null || tag.isEmpty() ? null : tag, null);
        }
        if (text.startsWith("dir:")) {
            String dir = text.substring("dir:".length());
            if (dir.isEmpty() || !Files.isDirectory(Path.of(dir))) {
                throw new IllegalArgumentException("'" + text + "': no directory '" + dir + "'");
            }
            return new ScanTarget(Path.of(dir), null, null);
        }
        if (text.startsWith("docker://")) {
            return remote(text.substring("docker://".length()), text);
        }
        for (String transport : UNSUPPORTED) {
            if (text.startsWith(transport)) {
                throw new IllegalArgumentException("'" + text + "': " + transport.substring(0, transport.length() - 1)
                        + " images cannot be scanned directly; copy the image first (skopeo copy " + text
                        + " oci:DIR) and scan oci:DIR");
            }
        }
        if (!text.isEmpty() && Files.isDirectory(Path.of(text))) {
            return new ScanTarget(Path.of(text), null, null);
        }
        return remote(text, text);
    }

    private static ScanTarget remote(String reference, String text) {
        if (reference.isEmpty()) {
            throw new IllegalArgumentException("'" + text + "': no image reference");
        }
        return new ScanTarget(null, null, reference);
    }

    boolean isLocal() {
        return layout != null;
    }
}
