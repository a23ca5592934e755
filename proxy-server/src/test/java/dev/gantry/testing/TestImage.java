package dev.gantry.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gantry.oci.Digest;
import dev.gantry.oci.MediaTypes;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * An image built in memory for tests: gzip'd tar layers of pseudo-random
 * files (seeded, so reproducible), a config, and an OCI or Docker manifest.
 * {@link Index} groups platform images.
 */
public final class TestImage {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A blob: its bytes, digest and media type. */
    public record Blob(String mediaType, byte[] bytes, Digest digest) {
        static Blob of(String mediaType, byte[] bytes) {
            return new Blob(mediaType, bytes, Digest.sha256(bytes));
        }

        public Map<String, Object> descriptor() {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("mediaType", mediaType);
            d.put("digest", digest.toString());
            d.put("size", bytes.length);
            return d;
        }
    }

    private final Blob config;
    private final List<Blob> layers;
    private final Blob manifest;
    private final String os;
    private final String architecture;

    private TestImage(Blob config, List<Blob> layers, Blob manifest, String os, String architecture) {
        this.config = config;
        this.layers = layers;
        this.manifest = manifest;
        this.os = os;
        this.architecture = architecture;
    }

    public Blob config() {
        return config;
    }

    public List<Blob> layers() {
        return layers;
    }

    public Blob manifest() {
        return manifest;
    }

    public Digest digest() {
        return manifest.digest();
    }

    /** Config then layers. */
    public List<Blob> blobs() {
        List<Blob> all = new ArrayList<>();
        all.add(config);
        all.addAll(layers);
        return all;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Builds images. Layer sizes are uncompressed payload bytes; random data barely compresses. */
    public static final class Builder {
        private long seed = 1;
        private final List<Integer> layerSizes = new ArrayList<>();
        private String os = "linux";
        private String architecture = "amd64";
        private boolean docker;
        private List<String> env = List.of("PATH=/usr/bin:/bin");
        private final List<byte[]> rawLayers = new ArrayList<>();
        private final List<String> rawDiffIds = new ArrayList<>();
        private final Map<String, Object> extraConfig = new LinkedHashMap<>();

        public Builder seed(long s) {
            this.seed = s;
            return this;
        }

        public Builder layer(int payloadBytes) {
            layerSizes.add(payloadBytes);
            return this;
        }

        public Builder layers(int count, int payloadBytes) {
            for (int i = 0; i < count; i++) {
                layerSizes.add(payloadBytes);
            }
            return this;
        }

        public Builder platform(String os, String architecture) {
            this.os = os;
            this.architecture = architecture;
            return this;
        }

        /** Docker schema 2 media types instead of OCI. */
        public Builder docker() {
            this.docker = true;
            return this;
        }

        public Builder env(List<String> env) {
            this.env = env;
            return this;
        }

        /** A layer of given (already compressed) bytes, after the random ones. */
        public Builder rawLayer(byte[] gzippedTar) {
            rawLayers.add(gzippedTar);
            rawDiffIds.add(null);
            return this;
        }

        /**
         * A layer of given compressed bytes whose uncompressed digest is known (a layer too big to
         * decompress in memory, e.g. one streamed by {@link dev.gantry.testing.StreamedLayer}).
         */
        public Builder rawLayer(byte[] gzippedTar, String diffId) {
            rawLayers.add(gzippedTar);
            rawDiffIds.add(diffId);
            return this;
        }

        /** A key of the config's {@code config} object: {@code Entrypoint}, {@code Volumes}, {@code Labels}… */
        public Builder config(String key, Object value) {
            extraConfig.put(key, value);
            return this;
        }

        public TestImage build() {
            Random random = new Random(seed);
            List<Blob> layers = new ArrayList<>();
            List<String> diffIds = new ArrayList<>();
            String layerType = docker ? MediaTypes.DOCKER_LAYER_GZIP : MediaTypes.OCI_LAYER_GZIP;
            for (int i = 0; i < layerSizes.size(); i++) {
                byte[] payload = new byte[layerSizes.get(i)];
                random.nextBytes(payload);
                byte[] tar = tar("layer" + i + "/data-" + seed + ".bin", payload);
                diffIds.add(Digest.sha256(tar).toString());
                layers.add(Blob.of(layerType, gzip(tar)));
            }
            for (int i = 0; i < rawLayers.size(); i++) {
                byte[] raw = rawLayers.get(i);
                diffIds.add(rawDiffIds.get(i) != null ? rawDiffIds.get(i) : Digest.sha256(gunzip(raw)).toString());
                layers.add(Blob.of(layerType, raw));
            }
            Map<String, Object> cfg = new LinkedHashMap<>();
            cfg.put("architecture", architecture);
            cfg.put("os", os);
            Map<String, Object> runtime = new LinkedHashMap<>();
            runtime.put("Env", env);
            runtime.put("Cmd", List.of("/bin/true"));
            runtime.putAll(extraConfig);
            cfg.put("config", runtime);
            cfg.put("rootfs", Map.of("type", "layers", "diff_ids", diffIds));
            Blob config = Blob.of(docker ? MediaTypes.DOCKER_CONFIG : MediaTypes.OCI_CONFIG, json(cfg));
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("schemaVersion", 2);
            m.put("mediaType", docker ? MediaTypes.DOCKER_MANIFEST : MediaTypes.OCI_MANIFEST);
            m.put("config", config.descriptor());
            m.put("layers", layers.stream().map(Blob::descriptor).toList());
            Blob manifest = Blob.of(docker ? MediaTypes.DOCKER_MANIFEST : MediaTypes.OCI_MANIFEST, json(m));
            return new TestImage(config, layers, manifest, os, architecture);
        }
    }

    /** A multi-platform index over images. */
    public record Index(Blob manifest, List<TestImage> images) {
        public static Index of(List<TestImage> images, boolean docker) {
            Map<String, Object> idx = new LinkedHashMap<>();
            idx.put("schemaVersion", 2);
            idx.put("mediaType", docker ? MediaTypes.DOCKER_MANIFEST_LIST : MediaTypes.OCI_INDEX);
            List<Map<String, Object>> entries = new ArrayList<>();
            for (TestImage img : images) {
                Map<String, Object> d = img.manifest.descriptor();
                d.put("platform", Map.of("os", img.os, "architecture", img.architecture));
                entries.add(d);
            }
            idx.put("manifests", entries);
            return new Index(Blob.of(docker ? MediaTypes.DOCKER_MANIFEST_LIST : MediaTypes.OCI_INDEX, json(idx)), images);
        }

        public Digest digest() {
            return manifest.digest();
        }
    }

    static byte[] tar(String name, byte[] payload) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(payload.length + 2048);
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
            TarArchiveEntry e = new TarArchiveEntry(name);
            e.setSize(payload.length);
            e.setModTime(0);
            tar.putArchiveEntry(e);
            tar.write(payload);
            tar.closeArchiveEntry();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static byte[] gunzip(byte[] data) {
        try (var in = new GZIPInputStream(new ByteArrayInputStream(data))) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A gzip'd tar of the given files (path → content). */
    public static byte[] layerOf(Map<String, byte[]> files) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (Map.Entry<String, byte[]> f : files.entrySet()) {
                TarArchiveEntry e = new TarArchiveEntry(f.getKey());
                e.setSize(f.getValue().length);
                e.setMode(0755);
                e.setModTime(0);
                tar.putArchiveEntry(e);
                tar.write(f.getValue());
                tar.closeArchiveEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return gzip(out.toByteArray());
    }

    static byte[] gzip(byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(data.length + 1024);
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static byte[] json(Object o) {
        try {
            return JSON.writeValueAsBytes(o);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
