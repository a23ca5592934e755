package dev.gantry.scan.layout;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.gantry.oci.Digest;
import dev.gantry.oci.MediaTypes;
import dev.gantry.scan.ImagePlatform;
import dev.gantry.schema.Descriptor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * An image on disk as skopeo and other tools write it: an OCI image layout
 * ({@code oci-layout}, {@code index.json}, {@code blobs/<alg>/<hex>}; from
 * {@code skopeo copy ... oci:DIR[:TAG]}, {@code crane}, {@code buildah} or
 * {@code docker buildx --output type=oci}), or skopeo's {@code dir:} format
 * ({@code manifest.json}, blobs named by their hex digest, and with
 * {@code --all} one {@code <hex>.manifest.json} per platform). Blob paths come
 * only from parsed digests, so a hostile index cannot make it read outside the
 * directory.
 */
public final class OciLayout {
    /** One image manifest of the layout, with its platform when the index states it. */
    public record Image(Descriptor descriptor, ImagePlatform platform) {
    }

    /** An image manifest's config and layer descriptors. */
    public record Manifest(Digest config, List<Digest> layers, List<String> layerMediaTypes) {
    }

    /** The annotation an OCI layout's index uses for the tag ({@code oci:DIR:TAG}). */
    static final String REF_NAME = "org.opencontainers.image.ref.name";

    private static final int MAX_DEPTH = 4;

    private final Path root;
    private final ObjectMapper mapper;
    private final boolean skopeoDir;

    /** An OCI image layout or a skopeo {@code dir:} directory, whichever {@code root} holds. */
    public OciLayout(Path root, ObjectMapper mapper) throws IOException {
        this.root = root;
        this.mapper = mapper;
        this.skopeoDir = !Files.isRegularFile(root.resolve("index.json")) && Files.isRegularFile(root.resolve("manifest.json"));
        if (!skopeoDir && !Files.isRegularFile(root.resolve("index.json"))) {
            throw new IOException(root + " is neither an OCI image layout (no index.json) nor a skopeo dir: image (no manifest.json)");
        }
    }

    /**
     * The image manifests tagged {@code tag} in an OCI layout's index (its
     * {@value #REF_NAME} annotation), through nested indexes; every image when
     * {@code tag} is null. A skopeo {@code dir:} holds one image and no tags.
     *
     * @throws IOException when no entry carries the tag; the message lists the tags there are
     */
    public List<Image> images(String tag) throws IOException {
        if (tag == null || skopeoDir) {
            return images();
        }
        JsonNode index = mapper.readTree(root.resolve("index.json").toFile());
        ArrayNode tagged = mapper.createArrayNode();
        List<String> tags = new ArrayList<>();
        for (JsonNode m : index.path("manifests")) {
            String name = m.path("annotations").path(REF_NAME).asText(null);
            if (name != null) {
                tags.add(name);
            }
            if (tag.equals(name)) {
                tagged.add(m);
            }
        }
        if (tagged.isEmpty()) {
            throw new IOException("no image tagged '" + tag + "' in " + root + (tags.isEmpty() ? " (its index names no tags)"
                    : " (tags: " + String.join(", ", tags) + ")"));
        }
        List<Image> out = new ArrayList<>();
        collect(mapper.createObjectNode().set("manifests", tagged), out, 0);
        return out;
    }

    /** Every image manifest reachable from the top (index.json, or a dir:'s manifest.json), through nested indexes. */
    public List<Image> images() throws IOException {
        List<Image> out = new ArrayList<>();
        if (!skopeoDir) {
            collect(mapper.readTree(root.resolve("index.json").toFile()), out, 0);
            return out;
        }
        byte[] top = Files.readAllBytes(root.resolve("manifest.json"));
        JsonNode doc = mapper.readTree(top);
        String mediaType = doc.path("mediaType").asText(MediaTypes.OCI_MANIFEST);
        if (MediaTypes.isIndex(mediaType)) {
            collect(doc, out, 0);
        } else {
            out.add(new Image(new Descriptor(mediaType, Digest.sha256(top).toString(), top.length), null));
        }
        return out;
    }

    private void collect(JsonNode index, List<Image> out, int depth) throws IOException {
        if (depth > MAX_DEPTH) {
            throw new IOException("indexes nested more than " + MAX_DEPTH + " deep");
        }
        for (JsonNode m : index.path("manifests")) {
            String mediaType = m.path("mediaType").asText();
            Digest digest = Digest.parse(m.path("digest").asText());
            if (MediaTypes.isIndex(mediaType)) {
                collect(mapper.readTree(blob(digest)), out, depth + 1);
            } else if (MediaTypes.isImageManifest(mediaType)) {
                JsonNode p = m.get("platform");
                ImagePlatform platform = p == null ? null : new ImagePlatform(p.path("os").asText("linux"),
                        p.path("architecture").asText("amd64"), p.hasNonNull("variant") ? p.get("variant").asText() : null);
                out.add(new Image(new Descriptor(mediaType, digest.toString(), m.path("size").asLong()), platform));
            }
        }
    }

    public Manifest manifest(Digest digest) throws IOException {
        JsonNode m = mapper.readTree(blob(digest));
        List<Digest> layers = new ArrayList<>();
        List<String> types = new ArrayList<>();
        for (JsonNode l : m.path("layers")) {
            layers.add(Digest.parse(l.path("digest").asText()));
            types.add(l.path("mediaType").asText(null));
        }
        return new Manifest(Digest.parse(m.path("config").path("digest").asText()), layers, types);
    }

    public byte[] blob(Digest digest) throws IOException {
        return Files.readAllBytes(blobPath(digest));
    }

    public InputStream open(Digest digest) throws IOException {
        return Files.newInputStream(blobPath(digest));
    }

    private Path blobPath(Digest digest) throws IOException {
        if (!skopeoDir) {
            return root.resolve("blobs").resolve(digest.algorithm()).resolve(digest.hex());
        }
        // skopeo's dir: names sha256 blobs by their hex, per-platform manifests <hex>.manifest.json,
        // and keeps the top manifest as manifest.json.
        for (Path p : List.of(root.resolve(digest.hex()), root.resolve(digest.hex() + ".manifest.json"))) {
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        Path top = root.resolve("manifest.json");
        if (Digest.sha256(Files.readAllBytes(top)).equals(digest)) {
            return top;
        }
        throw new IOException(root + " holds no blob " + digest);
    }
}
