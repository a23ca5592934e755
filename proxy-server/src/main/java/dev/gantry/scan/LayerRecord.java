package dev.gantry.scan;

import dev.gantry.oci.Digest;
import dev.gantry.scan.kb.KnowledgeBase;
import dev.gantry.scan.tar.BoundedTarInputStream;
import dev.gantry.scan.tar.LayerStreams;
import dev.gantry.scan.tar.ScanAbort;
import dev.gantry.schema.ScanStatus;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What one {@link LayerWalk} has found so far, each entry charged to the scan's share of
 * {@link ScanMemory} as it is recorded (a {@code LIMIT} abort when the share runs out), and the
 * {@link LayerFindings} made of it when the walk ends. Used by one thread.
 */
final class LayerRecord {
    final Notes notes = new Notes();
    final List<FileFinding> files = new ArrayList<>();
    final List<CpuFinding> cpu = new ArrayList<>();
    final List<String> executables = new ArrayList<>();
    final List<String> elfFiles = new ArrayList<>();
    final Map<String, String> symlinks = new HashMap<>();
    final Map<String, String> hardlinks = new HashMap<>();
    final List<DeviceEntry> devices = new ArrayList<>();
    final List<String> whiteouts = new ArrayList<>();
    final List<String> opaqueDirs = new ArrayList<>();
    private final List<LoaderFinding> loader = new ArrayList<>();
    private final ScanMemory.Reservation memory;

    LayerRecord(ScanMemory.Reservation memory) {
        this.memory = memory;
    }

    /**
     * Charges what recording {@code s} costs the heap, through the findings'
     * copies and their serialised form: a string, a list slot or map entry, twice.
     */
    void charge(String s) throws ScanAbort {
        charge(2 * (64 + 2L * s.length()));
    }

    void charge(long bytes) throws ScanAbort {
        if (!memory.charge(bytes)) {
            throw new ScanAbort("LIMIT", "the layer's findings outgrew the scan memory budget (hardware.scanMemory) "
                    + "after " + memory.used() / 1024 + " KiB; later entries not scanned");
        }
    }

    void loader(LoaderFinding f) throws ScanAbort {
        if (f != null) {
            charge(LoaderFacts.cost(f));
            loader.add(f);
        }
    }

    /** The findings of the walk, with how it ended; {@code streams} and {@code tar} are null when it never started. */
    LayerFindings findings(Digest layer, KnowledgeBase kb, ScanStatus status, FailureKind failure, String reason,
            LayerStreams streams, BoundedTarInputStream tar) {
        return new LayerFindings(LayerFindings.FORMAT, layer.toString(), LayerScanner.VERSION, kb.version(), status,
                failure, reason, notes.toList(), streams == null ? null : streams.compression(),
                streams == null ? 0 : streams.compressedBytes(), streams == null ? 0 : streams.expandedBytes(),
                tar == null ? 0 : tar.entries(), files, cpu, executables, elfFiles, symlinks, hardlinks, devices,
                whiteouts, opaqueDirs, loader);
    }

    /** The result of a scan interrupted before it started: retryable, nothing found. */
    static LayerFindings interrupted(Digest layer, KnowledgeBase kb) {
        return new LayerFindings(LayerFindings.FORMAT, layer.toString(), LayerScanner.VERSION, kb.version(),
                ScanStatus.FAILED, FailureKind.IO, "interrupted while waiting for scan memory", List.of(), null, 0, 0, 0,
                List.of(), List.of(), List.of(), List.of(), Map.of(), Map.of(), List.of(), List.of(), List.of(), List.of());
    }
}
