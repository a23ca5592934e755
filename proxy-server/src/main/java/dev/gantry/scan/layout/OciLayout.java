package dev.gantry.scan.layout;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
 * An OCI image layout directory ({@code oci-layout}, {@code index.json},
 * {@code blobs/<alg>/<hex>}), as written by {@code skopeo copy ... oci:DIR},
 * {@code crane}, {@code buildah} or {@code docker buildx --output type=oci}.
 * Blob paths come only from parsed digests, so a hostile index cannot make
 * it read outside the directory.
 */
public final class OciLayout {
    /** One image manifest of the layout, with its platform when the index states it. */
    public record Image(Descriptor descriptor, ImagePlatform platform) {
    }

    /** An image manifest's config and layer descriptors. */
    public record Manifest(Digest config, List<Digest> layers, List<String> layerMediaTypes) {
    }

    private static final int MAX_DEPTH = 4;

    private final Path root;
    private final ObjectMapper mapper;

    public OciLayout(Path root, ObjectMapper mapper) throws IOException {
        this.root = root;
        this.mapper = mapper;
        if (!Files.isRegularFile(root.resolve("index.json"))) {
            throw new IOException(root + " is not an OCI image layout (no index.json)");
        }
    }

    /** Every image manifest reachable from index.json, through nested indexes. */
    public List<Image> images() throws IOException {
        List<Image> out = new ArrayList<>();
        collect(mapper.readTree(root.resolve("index.json").toFile()), out, 0);
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

    private Path blobPath(Digest digest) {
        return root.resolve("blobs").resolve(digest.algorithm()).resolve(digest.hex());
    }
}
