package dev.gantry.oci;

import java.util.List;
import java.util.Set;

/** The manifest and blob media types Gantry understands. */
public final class MediaTypes {
    public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    public static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    public static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
    public static final String OCI_EMPTY = "application/vnd.oci.empty.v1+json";
    public static final String OCI_LAYER_TAR = "application/vnd.oci.image.layer.v1.tar";
    public static final String OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
    public static final String OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd";
    public static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    public static final String DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
    public static final String DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
    public static final String DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    public static final String DOCKER_SCHEMA1_SIGNED = "application/vnd.docker.distribution.manifest.v1+prettyjws";
    public static final String DOCKER_SCHEMA1 = "application/vnd.docker.distribution.manifest.v1+json";

    /** Everything Gantry asks an upstream for, most preferred first. */
    public static final List<String> MANIFEST_TYPES = List.of(
            OCI_INDEX, DOCKER_MANIFEST_LIST, OCI_MANIFEST, DOCKER_MANIFEST, DOCKER_SCHEMA1_SIGNED, DOCKER_SCHEMA1);

    private static final Set<String> INDEX_TYPES = Set.of(OCI_INDEX, DOCKER_MANIFEST_LIST);
    private static final Set<String> IMAGE_TYPES = Set.of(OCI_MANIFEST, DOCKER_MANIFEST);

    private MediaTypes() {
    }

    public static boolean isIndex(String mediaType) {
        return INDEX_TYPES.contains(mediaType);
    }

    public static boolean isImageManifest(String mediaType) {
        return IMAGE_TYPES.contains(mediaType);
    }

    public static boolean isManifest(String mediaType) {
        return MANIFEST_TYPES.contains(mediaType);
    }
}
