package dev.gantry.scan.image;

import dev.gantry.scan.ImageAnalyzer;
import dev.gantry.scan.ImagePlatform;
import dev.gantry.scan.LayerFindings;
import dev.gantry.scan.kb.KnowledgeBase;
import dev.gantry.schema.Descriptor;
import dev.gantry.schema.HardwareDocument;
import dev.gantry.schema.LayerStatus;
import dev.gantry.schema.Platform;
import dev.gantry.schema.ScanInfo;
import dev.gantry.schema.ScanStatus;
import java.time.Clock;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

/** Assembles one hardware document; see {@code ImageAnalyzer}. Used once per document. */
public final class ImageDocuments {
    private final KnowledgeBase kb;
    private final String scannerVersion;
    private final Clock clock;

    public ImageDocuments(KnowledgeBase kb, String scannerVersion, Clock clock) {
        this.kb = kb;
        this.scannerVersion = scannerVersion;
        this.clock = clock;
    }

    public HardwareDocument build(Descriptor subject, ImagePlatform platform, ImageConfig config,
            String configProblem, MergedFilesystem fs, EntrypointResolver resolver, List<LayerFindings> layers) {
        DocumentBuilder out = new DocumentBuilder(kb);
        String arch = platform.unameArchitecture();
        EntryFollower follower = new EntryFollower(fs, resolver, config);
        EntryClosure closure = follower.follow(config.argv());
        out.followed(!closure.conservative());
        if (closure.conservative()) {
            out.note("entrypoint not resolved: " + closure.unresolved() + "; every file's CPU features count as if "
                    + "the entry point loaded it");
        } else {
            out.note("the entry point runs " + closure.entry() + " and loads " + closure.loadedCount()
                    + " files at start-up; only their CPU features can be required");
        }
        List<String> missing = follower.missing();
        for (int i = 0; i < Math.min(missing.size(), LibrarySearch.MAX_MISSING_NOTES); i++) {
            out.note("not in the image (the host or runtime must provide it, or loading fails): " + missing.get(i));
        }
        if (missing.size() > LibrarySearch.MAX_MISSING_NOTES) {
            out.note((missing.size() - LibrarySearch.MAX_MISSING_NOTES) + " more libraries not in the image");
        }
        new LayerSignals(kb, out).apply(fs, layers, arch, closure);
        new ConfigSignals(kb, out).apply(config, closure.scriptCommands());

        ScanStatus status = configProblem == null ? ScanStatus.COMPLETE : ScanStatus.FAILED;
        if (configProblem != null) {
            out.note(configProblem);
        }
        List<LayerStatus> statuses = new ArrayList<>();
        for (LayerFindings l : layers) {
            statuses.add(new LayerStatus(l.layer(), l.status(), l.reason() != null ? l.reason()
                    : l.notes().isEmpty() ? null : String.join("; ", l.notes()), l.compressedBytes()));
            status = status.worst(l.status());
            if (!kb.version().equals(l.knowledgeBase()) || !scannerVersion.equals(l.scanner())) {
                out.note("layer " + l.layer() + " was scanned by scanner " + l.scanner() + " with knowledge base "
                        + l.knowledgeBase() + "; rescan it for current results");
            }
        }
        Platform p = out.platform(platform.architecture(), platform.os(), platform.variant(), arch,
                arch.equals("x86_64"));
        String time = DateTimeFormatter.ISO_INSTANT.format(clock.instant());
        ScanInfo scan = new ScanInfo(status, time, scannerVersion, kb.version(), statuses, out.notes());
        return new HardwareDocument(HardwareDocument.SCHEMA_VERSION, subject, p, out.passthruDevices(),
                out.volumes(), out.devices(), out.evidence(), scan);
    }
}
