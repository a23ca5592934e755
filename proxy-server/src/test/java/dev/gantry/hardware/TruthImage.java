package dev.gantry.hardware;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * One image of the truth corpus.
 *
 * @param name       a short name for the matrix
 * @param arch       OCI architecture: {@code amd64} or {@code arm64}
 * @param layers     directories, each one layer, lowest first
 * @param entrypoint the image's Entrypoint: an absolute path inside the image and harmless arguments
 * @param what       what the image is, for the matrix's legend
 * @param classes    the hardware classes the image needs by how it was built (its entry point fails
 *                   without the device); empty for a program that runs on any host of its architecture
 */
record TruthImage(String name, String arch, List<Path> layers, List<String> entrypoint, String what, Set<String> classes) {

    /** An image that needs no device: every class in its document must be at most supported. */
    TruthImage(String name, String arch, List<Path> layers, List<String> entrypoint, String what) {
        this(name, arch, layers, entrypoint, what, Set.of());
    }

    /** The image config, as a registry would serve it. */
    String config() {
        StringBuilder ep = new StringBuilder();
        for (String s : entrypoint) {
            ep.append(ep.isEmpty() ? "" : ",").append('"').append(s.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
        }
        return "{\"architecture\":\"" + arch + "\",\"os\":\"linux\",\"config\":{\"Env\":[\"PATH=/usr/local/sbin:"
                + "/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"],\"Entrypoint\":[" + ep + "]}}";
    }
}
