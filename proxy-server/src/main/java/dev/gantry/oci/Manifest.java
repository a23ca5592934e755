package dev.gantry.oci;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What Gantry needs to know of a manifest or index: its media type and the
 * descriptors it points at. The bytes themselves are never re-encoded; this is
 * a read-only view parsed from them.
 *
 * @param mediaType the effective media type: the body's {@code mediaType},
 *     else the {@code Content-Type} it came with, else inferred from its shape
 * @param config the config descriptor of an image manifest, else null
 * @param layers the layers of an image manifest (empty for an index)
 * @param manifests the entries of an index (empty for an image manifest)
 * @param subject the {@code subject} descriptor, or null
 * @param artifactType the {@code artifactType}, or null
 */
public record Manifest(
        String mediaType,
        Descriptor config,
        List<Descriptor> layers,
        List<Descriptor> manifests,
        Descriptor subject,
        String artifactType,
        Map<String, String> annotations) {

    /** The distribution spec's suggested limit, used for every manifest Gantry reads or accepts. */
    public static final int MAX_BYTES = 4 * 1024 * 1024;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectReader DESCRIPTOR = JSON.readerFor(Descriptor.class)
            .without(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /**
     * Parses manifest bytes.
     *
     * @param contentType the media type the bytes were served or pushed with; may be null
     * @throws RegistryException {@code MANIFEST_INVALID} when the bytes are not a manifest
     */
    public static Manifest parse(byte[] body, String contentType) {
        if (body.length > MAX_BYTES) {
            throw new RegistryException(ErrorCode.MANIFEST_INVALID,
                    "manifest is " + body.length + " bytes; the limit is " + MAX_BYTES);
        }
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (IOException e) {
            throw new RegistryException(ErrorCode.MANIFEST_INVALID, "manifest is not valid JSON: " + firstLine(e));
        }
        if (root == null || !root.isObject()) {
            throw new RegistryException(ErrorCode.MANIFEST_INVALID, "manifest is not a JSON object");
        }
        String declared = headerSafe(text(root, "mediaType"), "mediaType");
        if (declared != null && !MediaTypes.isManifest(declared)) {
            // It becomes the Content-Type the manifest is served with: text/html from an upstream would be a page.
            throw new RegistryException(ErrorCode.MANIFEST_INVALID, "manifest mediaType is not a manifest type: "
                    + (declared.length() > 100 ? declared.substring(0, 100) + "..." : declared));
        }
        String type = declared != null ? declared : inferType(root, contentType);
        if (contentType != null && declared != null && MediaTypes.isManifest(contentType) && !contentType.equals(declared)) {
            throw new RegistryException(ErrorCode.MANIFEST_INVALID,
                    "manifest mediaType " + declared + " does not match Content-Type " + contentType);
        }
        JsonNode version = root.get("schemaVersion");
        if (type.startsWith("application/vnd.docker.distribution.manifest.v1")) {
            // Docker schema 1: served as is, never interpreted beyond its layers' digests.
            return new Manifest(type, null, schema1Layers(root), List.of(), null, null, Map.of());
        }
        // Every other type is schema 2 whatever it declares: an OCI manifest saying 1 is not Docker schema 1.
        if (version == null || !version.isIntegralNumber() || version.asInt() != 2) {
            throw new RegistryException(ErrorCode.MANIFEST_INVALID, "a " + type + " must have schemaVersion 2, not "
                    + (version == null ? "none" : version.toString().length() > 20 ? "that" : version.toString()));
        }
        Descriptor config = root.has("config") ? descriptor(root.get("config"), "config") : null;
        List<Descriptor> layers = descriptors(root, "layers");
        List<Descriptor> manifests = descriptors(root, "manifests");
        Descriptor subject = root.has("subject") ? descriptor(root.get("subject"), "subject") : null;
        if (MediaTypes.isIndex(type) && root.has("config")) {
            throw new RegistryException(ErrorCode.MANIFEST_INVALID, "an index has no config");
        }
        if (MediaTypes.isImageManifest(type) && config == null) {
            throw new RegistryException(ErrorCode.MANIFEST_INVALID, "an image manifest needs a config descriptor");
        }
        Map<String, String> annotations = annotations(root.get("annotations"), "manifest");
        return new Manifest(type, config, layers, manifests, subject, headerSafe(text(root, "artifactType"), "artifactType"),
                annotations);
    }

    public boolean isIndex() {
        return MediaTypes.isIndex(mediaType);
    }

    /** Every blob this manifest references directly: config, then layers. */
    public List<Descriptor> blobs() {
        List<Descriptor> all = new ArrayList<>(layers.size() + 1);
        if (config != null) {
            all.add(config);
        }
        all.addAll(layers);
        return all;
    }

    /** The index entry for {@code platform}, if this is an index that has one. */
    public Optional<Descriptor> manifestFor(Platform platform) {
        return manifests.stream()
                .filter(d -> d.platform() != null && d.platform().satisfies(platform))
                .findFirst();
    }

    private static String inferType(JsonNode root, String contentType) {
        if (contentType != null && MediaTypes.isManifest(contentType)) {
            return contentType;
        }
        if (root.has("manifests")) {
            return MediaTypes.OCI_INDEX;
        }
        if (root.has("config")) {
            return MediaTypes.OCI_MANIFEST;
        }
        if (root.path("schemaVersion").asInt() == 1) {
            return root.has("signatures") ? MediaTypes.DOCKER_SCHEMA1_SIGNED : MediaTypes.DOCKER_SCHEMA1;
        }
        throw new RegistryException(ErrorCode.MANIFEST_INVALID, "cannot tell what kind of manifest this is: no mediaType");
    }

    private static List<Descriptor> descriptors(JsonNode root, String field) {
        JsonNode array = root.get(field);
        if (array == null || array.isNull()) {
            return List.of();
        }
        if (!array.isArray()) {
            throw new RegistryException(ErrorCode.MANIFEST_INVALID, "manifest field '" + field + "' must be an array");
        }
        List<Descriptor> out = new ArrayList<>(array.size());
        for (JsonNode node : array) {
            out.add(descriptor(node, field));
        }
        return List.copyOf(out);
    }

    private static Descriptor descriptor(JsonNode node, String field) {
        Descriptor d;
        try {
            d = DESCRIPTOR.readValue(node);
        } catch (IOException e) {
            throw new RegistryException(ErrorCode.MANIFEST_INVALID, "invalid descriptor in '" + field + "': " + firstLine(e));
        }
        if (d.mediaType() == null || d.digest() == null || d.size() < 0) {
            throw new RegistryException(ErrorCode.MANIFEST_INVALID,
                    "descriptor in '" + field + "' needs mediaType, digest and a non-negative size");
        }
        headerSafe(d.mediaType(), field + " mediaType");
        headerSafe(d.artifactType(), field + " artifactType");
        annotations(node.get("annotations"), "descriptor in '" + field + "'");
        d.parsedDigest();
        return d;
    }

    /**
     * Annotations as the image spec has them: an object of string values. Anything else (a null, a number, an
     * object) is refused here, before the manifest is stored, rather than failing whatever reads them later.
     */
    private static Map<String, String> annotations(JsonNode node, String where) {
        if (node == null || node.isNull()) {
            return Map.of();
        }
        if (!node.isObject()) {
            throw new RegistryException(ErrorCode.MANIFEST_INVALID, where + ": annotations must be a JSON object");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) {
                throw new RegistryException(ErrorCode.MANIFEST_INVALID, where + ": annotation values must be strings");
            }
            out.put(e.getKey(), e.getValue().asText());
        }
        return Collections.unmodifiableMap(out);
    }

    /**
     * A media type that can travel in an HTTP header ({@code Content-Type}, the peer channel's layer type):
     * printable ASCII, at most 255 characters. A control character would make the header, and so every
     * response that carries it, fail long after the manifest was stored.
     */
    private static String headerSafe(String mediaType, String field) {
        if (mediaType == null) {
            return null;
        }
        boolean ok = !mediaType.isEmpty() && mediaType.length() <= 255;
        for (int i = 0; ok && i < mediaType.length(); i++) {
            char c = mediaType.charAt(i);
            ok = c >= 0x20 && c < 0x7f;
        }
        if (!ok) {
            throw new RegistryException(ErrorCode.MANIFEST_INVALID,
                    field + " must be 1 to 255 printable ASCII characters");
        }
        return mediaType;
    }

    private static List<Descriptor> schema1Layers(JsonNode root) {
        List<Descriptor> out = new ArrayList<>();
        for (JsonNode layer : root.path("fsLayers")) {
            String blobSum = text(layer, "blobSum");
            if (blobSum != null && Digest.isDigest(blobSum)) {
                out.add(new Descriptor(MediaTypes.DOCKER_LAYER_GZIP, blobSum, 0, null, null, null));
            }
        }
        return List.copyOf(out);
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v != null && v.isTextual() ? v.asText() : null;
    }

    private static String firstLine(IOException e) {
        String m = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m.lines().findFirst().orElse(m);
    }
}
