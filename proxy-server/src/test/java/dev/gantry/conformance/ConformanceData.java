package dev.gantry.conformance;

import dev.gantry.oci.Digest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * The conformance suite's test data, built the same way: a fresh config per
 * workflow (a random author makes every run's digests new), one small gzip'd
 * tar layer, manifests whose descriptors carry fields the image spec does not
 * know ({@code "newUnspecifiedField"}, {@code "data"}), a manifest without
 * {@code mediaType} and without layers, and the referrer artifacts of the
 * discovery workflow. JSON is written as Go's {@code json.MarshalIndent(v, "", "\t")}
 * writes it; digests are over exactly those bytes.
 */
final class ConformanceData {

    static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
    static final String OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip";
    static final String EMPTY_JSON_TYPE = "application/vnd.oci.empty.v1+json";
    static final String ARTIFACT_TYPE_A = "application/vnd.nhl.peanut.butter.bagel";
    static final String ARTIFACT_TYPE_B = "application/vnd.nba.strawberry.jam.croissant";
    static final String ARTIFACT_TYPE_INDEX = "application/vnd.food.stand";
    static final String ANNOTATION_KEY = "org.opencontainers.conformance.test";
    static final String NONEXISTENT_MANIFEST = ".INVALID_MANIFEST_NAME";
    static final String TEST_TAG = "tagtest0";
    static final String EMPTY_LAYER_TAG = "emptylayer";
    /** sha256 of "hello world": a digest nothing in the tests ever has. */
    static final String DUMMY_DIGEST = Digest.sha256("hello world".getBytes(StandardCharsets.UTF_8)).toString();

    /** Bytes with their digest. */
    record Blob(byte[] bytes, String digest) {
        static Blob of(byte[] bytes) {
            return new Blob(bytes, Digest.sha256(bytes).toString());
        }

        static Blob of(String text) {
            return of(text.getBytes(StandardCharsets.UTF_8));
        }

        int length() {
            return bytes.length;
        }
    }

    final List<Blob> configs = new ArrayList<>();
    final List<Blob> manifests = new ArrayList<>();
    final Blob layer;
    final Blob emptyLayerManifest;
    final Blob testBlobA;
    final Blob testBlobB;
    final byte[] testBlobBChunk1;
    final byte[] testBlobBChunk2;
    final String testBlobBChunk1Range;
    final String testBlobBChunk2Range;
    final Blob emptyJson = Blob.of("{}");
    final Blob testRefBlobA = Blob.of("NHL Peanut Butter on my NHL bagel");
    final Blob testRefBlobB = Blob.of("NBA Strawberry Jam on my NBA croissant");
    final Blob refsAConfig;
    final Blob refsBConfig;
    final Blob refsALayer;
    final Blob refsBLayer;
    final Blob refsCLayer;
    final Blob refsIndex;
    /** The annotation value each referrer carries, by its digest. */
    final Map<String, String> annotationValues = new LinkedHashMap<>();

    ConformanceData() {
        SecureRandom random = new SecureRandom();
        for (int i = 0; i < 5; i++) {
            Map<String, Object> rootfs = object("type", "layers", "diff_ids", List.of());
            configs.add(Blob.of(goJson(object("author", randomString(random, 16), "architecture", "amd64", "os", "linux",
                    "rootfs", rootfs))));
        }
        layer = Blob.of(gzipTar());
        for (int i = 0; i < 5; i++) {
            manifests.add(Blob.of(goJson(object(
                    "schemaVersion", 2,
                    "mediaType", OCI_MANIFEST,
                    "config", configDescriptor(configs.get(i)),
                    "layers", List.of(descriptor(OCI_LAYER, layer))))));
        }
        emptyLayerManifest = Blob.of(goJson(object(
                "schemaVersion", 2,
                "config", configDescriptor(configs.get(1)),
                "layers", List.of())));

        long seed = random.nextLong();
        testBlobA = Blob.of(randomBytes(42, seed + 1));
        testBlobB = Blob.of(randomBytes(42, seed + 2));
        int split = 42 / 2 + 1;
        testBlobBChunk1 = Arrays.copyOfRange(testBlobB.bytes(), 0, split);
        testBlobBChunk2 = Arrays.copyOfRange(testBlobB.bytes(), split, 42);
        testBlobBChunk1Range = "0-" + (split - 1);
        testBlobBChunk2Range = split + "-" + (42 - 1);

        Map<String, Object> subject4 = descriptor(OCI_MANIFEST, manifests.get(4));
        Map<String, Object> subject3 = descriptor(OCI_MANIFEST, manifests.get(3));
        Map<String, Object> emptyJsonDescriptor = descriptor(EMPTY_JSON_TYPE, emptyJson);
        refsAConfig = referrer(object(
                "schemaVersion", 2, "mediaType", OCI_MANIFEST,
                "config", descriptor(ARTIFACT_TYPE_A, testRefBlobA),
                "layers", List.of(emptyJsonDescriptor),
                "subject", subject4,
                "annotations", object(ANNOTATION_KEY, "test config a")));
        refsBConfig = referrer(object(
                "schemaVersion", 2, "mediaType", OCI_MANIFEST,
                "config", descriptor(ARTIFACT_TYPE_B, testRefBlobB),
                "layers", List.of(emptyJsonDescriptor),
                "subject", subject4,
                "annotations", object(ANNOTATION_KEY, "test config b")));
        refsALayer = referrer(object(
                "schemaVersion", 2, "mediaType", OCI_MANIFEST, "artifactType", ARTIFACT_TYPE_A,
                "config", emptyJsonDescriptor,
                "layers", List.of(descriptor(ARTIFACT_TYPE_A, testRefBlobA)),
                "subject", subject4,
                "annotations", object(ANNOTATION_KEY, "test layer a")));
        refsBLayer = referrer(object(
                "schemaVersion", 2, "mediaType", OCI_MANIFEST, "artifactType", ARTIFACT_TYPE_B,
                "config", emptyJsonDescriptor,
                "layers", List.of(descriptor(ARTIFACT_TYPE_B, testRefBlobB)),
                "subject", subject4,
                "annotations", object(ANNOTATION_KEY, "test layer b")));
        refsCLayer = Blob.of(goJson(object(
                "schemaVersion", 2, "mediaType", OCI_MANIFEST, "artifactType", ARTIFACT_TYPE_B,
                "config", emptyJsonDescriptor,
                "layers", List.of(descriptor(ARTIFACT_TYPE_B, testRefBlobB)),
                "subject", subject3)));
        refsIndex = referrer(object(
                "schemaVersion", 2, "mediaType", OCI_INDEX, "artifactType", ARTIFACT_TYPE_INDEX,
                "manifests", List.of(descriptor(OCI_MANIFEST, refsAConfig), descriptor(OCI_MANIFEST, refsALayer)),
                "subject", subject4,
                "annotations", object(ANNOTATION_KEY, "test index")));
    }

    private Blob referrer(Map<String, Object> manifest) {
        Blob b = Blob.of(goJson(manifest));
        @SuppressWarnings("unchecked")
        Map<String, Object> annotations = (Map<String, Object>) manifest.get("annotations");
        annotationValues.put(b.digest(), (String) annotations.get(ANNOTATION_KEY));
        return b;
    }

    /** A descriptor as the suite's Go type marshals it: {@code newUnspecifiedField} is always there, null when unset. */
    private static Map<String, Object> descriptor(String mediaType, Blob blob) {
        return object("mediaType", mediaType, "digest", blob.digest(), "size", blob.length(), "newUnspecifiedField", null);
    }

    /** The config descriptor of an image: embedded {@code data} and a non-null unknown field. */
    private static Map<String, Object> configDescriptor(Blob config) {
        return object("mediaType", OCI_CONFIG, "digest", config.digest(), "size", config.length(),
                "data", Base64.getEncoder().encodeToString(config.bytes()),
                "newUnspecifiedField", Base64.getEncoder().encodeToString("hello world".getBytes(StandardCharsets.UTF_8)));
    }

    private static Map<String, Object> object(Object... keysAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return m;
    }

    private static String randomString(Random random, int n) {
        String letters = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-";
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < n; i++) {
            s.append(letters.charAt(random.nextInt(letters.length())));
        }
        return s.toString();
    }

    private static byte[] randomBytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** A one-file tarball, gzip'd: a layer as small as the suite's. */
    private static byte[] gzipTar() {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(out))) {
                byte[] text = "you bothered to find out what was in here. Congratulations!\n".getBytes(StandardCharsets.UTF_8);
                TarArchiveEntry e = new TarArchiveEntry("test.txt");
                e.setSize(text.length);
                e.setModTime(0);
                tar.putArchiveEntry(e);
                tar.write(text);
                tar.closeArchiveEntry();
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Go's {@code json.MarshalIndent(v, "", "\t")} for maps (in insertion order), lists, strings, numbers and null. */
    static byte[] goJson(Object value) {
        StringBuilder s = new StringBuilder();
        write(s, value, "");
        return s.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void write(StringBuilder s, Object v, String indent) {
        if (v == null) {
            s.append("null");
        } else if (v instanceof String str) {
            s.append('"');
            for (char c : str.toCharArray()) {
                switch (c) {
                    case '"' -> s.append("\\\"");
                    case '\\' -> s.append("\\\\");
                    case '<' -> s.append("\\u003c");
                    case '>' -> s.append("\\u003e");
                    case '&' -> s.append("\\u0026");
                    default -> {
                        if (c < 0x20) {
                            s.append(String.format("\\u%04x", (int) c));
                        } else {
                            s.append(c);
                        }
                    }
                }
            }
            s.append('"');
        } else if (v instanceof Number n) {
            s.append(n);
        } else if (v instanceof Map<?, ?> m) {
            if (m.isEmpty()) {
                s.append("{}");
                return;
            }
            s.append("{\n");
            int i = 0;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                s.append(indent).append('\t');
                write(s, e.getKey(), "");
                s.append(": ");
                write(s, e.getValue(), indent + "\t");
                s.append(++i < m.size() ? ",\n" : "\n");
            }
            s.append(indent).append('}');
        } else if (v instanceof List<?> l) {
            if (l.isEmpty()) {
                s.append("[]");
                return;
            }
            s.append("[\n");
            for (int i = 0; i < l.size(); i++) {
                s.append(indent).append('\t');
                write(s, l.get(i), indent + "\t");
                s.append(i + 1 < l.size() ? ",\n" : "\n");
            }
            s.append(indent).append(']');
        } else {
            throw new IllegalArgumentException("cannot write " + v.getClass());
        }
    }
}
