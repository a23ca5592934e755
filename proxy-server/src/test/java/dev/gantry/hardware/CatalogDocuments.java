package dev.gantry.hardware;

import dev.gantry.oci.Digest;
import dev.gantry.schema.Cpu;
import dev.gantry.schema.Descriptor;
import dev.gantry.schema.HardwareDocument;
import dev.gantry.schema.Level;
import dev.gantry.schema.Platform;
import dev.gantry.schema.ScanInfo;
import dev.gantry.schema.ScanStatus;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Hardware documents made up for catalog tests: what a scan would say, without scanning. */
final class CatalogDocuments {

    private CatalogDocuments() {
    }

    static Digest digest(String seed) {
        return Digest.sha256(seed.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * @param level x86-64 level 1 to 4 (amd64), ignored for other architectures
     * @param cpu feature → level
     * @param hardware device class → level
     */
    static HardwareDocument doc(Digest subject, String arch, int level, Map<String, Level> cpu, Map<String, Level> hardware,
                                List<String> devices) {
        boolean x86 = arch.equals("amd64");
        Platform p = new Platform(arch, "linux", null,
                new Cpu(x86 ? "x86_64" : "aarch64", x86 ? "x86-64-v" + level : null, new TreeMap<>(cpu)), new TreeMap<>(hardware));
        return new HardwareDocument(HardwareDocument.SCHEMA_VERSION,
                new Descriptor("application/vnd.oci.image.manifest.v1+json", subject.toString(), 500), p, devices, List.of(),
                List.of(), List.of(), new ScanInfo(ScanStatus.COMPLETE, "2026-12-06T00:00:00Z", "1", "kb", List.of(), List.of()));
    }
}
