package dev.gantry.hardware;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import dev.gantry.oci.Descriptor;
import dev.gantry.oci.Digest;
import dev.gantry.oci.MediaTypes;
import dev.gantry.schema.HardwareDocument;
import dev.gantry.schema.HardwareJson;
import dev.gantry.schema.Level;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The OCI 1.1 referrer artifacts Gantry publishes for a scanned platform
 * manifest: its hardware document, and a Kubernetes Node Feature Discovery
 * image-compatibility spec (required features as one compatibility set,
 * required and supported as a second). Both are image manifests with the
 * empty config, one layer, and {@code subject} = the platform manifest.
 */
final class Artifacts {

    static final String HARDWARE_TYPE = "application/vnd.gantry.hardware.v1+json";
    static final String NFD_TYPE = "application/vnd.nfd.image-compatibility.v1alpha1";
    static final String NFD_SPEC_TYPE = "application/vnd.nfd.image-compatibility.spec.v1alpha1+yaml";
    static final byte[] EMPTY_CONFIG = "{}".getBytes(StandardCharsets.UTF_8);

    private static final ObjectMapper JSON = HardwareJson.mapper();
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES));

    /** A built artifact: its manifest and the blobs it names. */
    record Built(Digest digest, byte[] manifest, Map<Digest, byte[]> blobs, HardwareRecord.Artifact descriptor) {
    }

    private Artifacts() {
    }

    static Built hardware(HardwareDocument doc, Descriptor subject, String created) {
        return hardware(doc, subject, created, Map.of(), "hardware requirements of " + subject.digest());
    }

    static Built nfd(HardwareDocument doc, Descriptor subject, String created) {
        return nfd(doc, subject, created, Map.of(), "node feature discovery compatibility of " + subject.digest());
    }

    /**
     * The two artifacts of one platform with an index as their subject (so
     * {@code referrers} of the index finds them): as a platform manifest's,
     * annotated with the platform ({@code dev.gantry.platform}, os/arch[/variant])
     * and its manifest ({@code dev.gantry.manifest}).
     */
    static List<Built> ofIndexPlatform(HardwareDocument doc, Descriptor index, Descriptor platformManifest, String created) {
        var p = doc.platform();
        String platform = p.os() + "/" + p.architecture() + (p.variant() == null ? "" : "/" + p.variant());
        Map<String, String> extra = Map.of("dev.gantry.platform", platform, "dev.gantry.manifest", platformManifest.digest());
        String of = " of " + platformManifest.digest() + " (" + platform + "), a platform of " + index.digest();
        return List.of(hardware(doc, index, created, extra, "hardware requirements" + of),
                nfd(doc, index, created, extra, "node feature discovery compatibility" + of));
    }

    private static Built hardware(HardwareDocument doc, Descriptor subject, String created, Map<String, String> extra,
                                  String description) {
        byte[] body;
        try {
            body = JSON.writeValueAsBytes(doc);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return build(HARDWARE_TYPE, HARDWARE_TYPE, body, subject, created, extra, description);
    }

    private static Built nfd(HardwareDocument doc, Descriptor subject, String created, Map<String, String> extra, String description) {
        byte[] spec;
        try {
            spec = YAML.writeValueAsBytes(nfdSpec(doc));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return build(NFD_TYPE, NFD_SPEC_TYPE, spec, subject, created, extra, description);
    }

    private static Built build(String artifactType, String layerType, byte[] layer, Descriptor subject,
                               String created, Map<String, String> extra, String description) {
        Digest layerDigest = Digest.sha256(layer);
        Digest configDigest = Digest.sha256(EMPTY_CONFIG);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("schemaVersion", 2);
        m.put("mediaType", MediaTypes.OCI_MANIFEST);
        m.put("artifactType", artifactType);
        m.put("config", Map.of("mediaType", MediaTypes.OCI_EMPTY, "digest", configDigest.toString(), "size", 2));
        m.put("layers", List.of(Map.of("mediaType", layerType, "digest", layerDigest.toString(), "size", layer.length)));
        m.put("subject", Map.of("mediaType", subject.mediaType(), "digest", subject.digest(), "size", subject.size()));
        Map<String, String> annotations = new TreeMap<>(extra);
        annotations.put("org.opencontainers.image.created", created);
        annotations.put("org.opencontainers.image.description", description);
        m.put("annotations", annotations);
        byte[] manifest;
        try {
            manifest = new ObjectMapper().writeValueAsBytes(m);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Digest digest = Digest.sha256(manifest);
        Map<Digest, byte[]> blobs = new LinkedHashMap<>();
        blobs.put(configDigest, EMPTY_CONFIG);
        blobs.put(layerDigest, layer);
        return new Built(digest, manifest, blobs,
                new HardwareRecord.Artifact(MediaTypes.OCI_MANIFEST, digest.toString(), manifest.length, artifactType, annotations));
    }

    /**
     * The NFD image-compatibility spec (v1alpha1): a node satisfying the first
     * set runs the image; one satisfying the second runs it at full speed.
     */
    static Map<String, Object> nfdSpec(HardwareDocument doc) {
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("version", "v1alpha1");
        List<Map<String, Object>> sets = new ArrayList<>();
        sets.add(set(doc, false, "required", "What the image needs to run at all", 100));
        sets.add(set(doc, true, "supported", "What the image can use when the node has it", 50));
        spec.put("compatibilities", sets);
        return spec;
    }

    private static Map<String, Object> set(HardwareDocument doc, boolean withSupported, String tag, String description, int weight) {
        List<Map<String, Object>> features = new ArrayList<>();
        Map<String, Object> cpuid = new TreeMap<>();
        Map<String, Object> security = new TreeMap<>();
        doc.platform().cpu().features().forEach((name, level) -> {
            if (level == Level.REQUIRED || withSupported) {
                String nfdName = NfdNames.cpuid(name);
                if (nfdName != null) {
                    cpuid.put(nfdName, Map.of("op", "Exists"));
                }
                if ("sgx".equals(name)) {
                    security.put("sgx.enabled", Map.of("op", "IsTrue"));
                }
            }
        });
        String level = doc.platform().cpu().level();
        if (level != null && !level.endsWith("v1")) {
            cpuid.put(NfdNames.level(level), Map.of("op", "Exists"));
        }
        if (!cpuid.isEmpty()) {
            features.add(Map.of("feature", "cpu.cpuid", "matchExpressions", cpuid));
        }
        List<String> vendors = new ArrayList<>();
        Map<String, Object> modules = new TreeMap<>();
        doc.platform().hardware().forEach((name, lvl) -> {
            if (lvl == Level.REQUIRED || withSupported) {
                String vendor = NfdNames.pciVendor(name);
                if (vendor != null && !vendors.contains(vendor)) {
                    vendors.add(vendor);
                }
                String module = NfdNames.kernelModule(name);
                if (module != null) {
                    modules.put(module, Map.of("op", "Exists"));
                }
                if (name.startsWith("sgx")) {
                    security.put("sgx.enabled", Map.of("op", "IsTrue"));
                }
                if (name.startsWith("sev")) {
                    security.put("sev.enabled", Map.of("op", "IsTrue"));
                }
                if (name.equals("tdx")) {
                    security.put("tdx.enabled", Map.of("op", "IsTrue"));
                }
            }
        });
        if (!security.isEmpty()) {
            features.add(Map.of("feature", "cpu.security", "matchExpressions", security));
        }
        if (!vendors.isEmpty()) {
            features.add(Map.of("feature", "pci.device", "matchExpressions", Map.of("vendor", Map.of("op", "In", "value", vendors))));
        }
        if (!modules.isEmpty()) {
            features.add(Map.of("feature", "kernel.loadedmodule", "matchExpressions", modules));
        }
        Map<String, Object> rule = new LinkedHashMap<>();
        rule.put("name", "gantry-" + tag);
        rule.put("matchFeatures", features);
        Map<String, Object> set = new LinkedHashMap<>();
        set.put("rules", features.isEmpty() ? List.of() : List.of(rule));
        set.put("weight", weight);
        set.put("tag", tag);
        set.put("description", description);
        return set;
    }
}
